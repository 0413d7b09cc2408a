import { Type } from '@sinclair/typebox';

const title = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });
const text = Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()]);

export const createBody = Type.Object({
  title,
  description: Type.Optional(text),
  comment: Type.Optional(text),
  created_by: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  pv_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 100_000 })),
  tag_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  use_cache: Type.Optional(Type.Boolean()),
});

export const createQuery = Type.Object({
  async: Type.Boolean({ default: true }),
  use_cache: Type.Boolean({ default: true }),
  use_arq: Type.Optional(Type.String()),
});

export const snapshotParams = Type.Object({ id: Type.String() });
export const compareParams = Type.Object({ id: Type.String(), id2: Type.String() });

export const getQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  include_values: Type.Boolean({ default: true }),
});

export const listQuery = Type.Object({
  title: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const updateBody = Type.Object({ title: Type.Optional(title), description: Type.Optional(text), comment: Type.Optional(text) });

export const deleteQuery = Type.Object({ deleteData: Type.Optional(Type.String()) });

const liveSource = Type.Union([Type.Literal('cache'), Type.Literal('epics')], { default: 'cache' });

export const restoreQuery = Type.Object({
  async: Type.Boolean({ default: true }),
  dry_run: Type.Boolean({ default: false }),
  live_source: liveSource,
});

export const restoreBody = Type.Object({
  pv_ids: Type.Optional(Type.Union([Type.Array(Type.String(), { maxItems: 100_000 }), Type.Null()])),
  tag_ids: Type.Optional(Type.Union([Type.Array(Type.String(), { maxItems: 1000 }), Type.Null()])),
});

export const compareQuery = Type.Object({
  tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: Number.MAX_VALUE })),
  tolerance_mode: Type.Union([Type.Literal('absolute'), Type.Literal('relative')], { default: 'absolute' }),
  live_source: liveSource,
});

export const exportQuery = Type.Object({ format: Type.Literal('csv', { default: 'csv' }) });
