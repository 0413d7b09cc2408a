import { Type } from '@sinclair/typebox';

const address = Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]));
// JSON.parse turns 1e999 into Infinity; the maximum keeps tolerances finite (spec §2 Bodies).
const tolerance = Type.Number({ minimum: 0, maximum: Number.MAX_VALUE });
const tagIds = Type.Array(Type.String(), { maxItems: 500 });

export const pvInput = Type.Object({
  setpoint_address: address,
  readback_address: address,
  config_address: address,
  device: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  abs_tolerance: Type.Optional(tolerance),
  rel_tolerance: Type.Optional(tolerance),
  read_only: Type.Optional(Type.Boolean()),
  tag_ids: Type.Optional(tagIds),
});

export const MAX_BULK_PVS = 50_000;
export const pvInputs = Type.Array(pvInput, { maxItems: MAX_BULK_PVS });

export const IMMUTABLE_FIELDS = ['setpoint_address', 'readback_address', 'config_address', 'device'] as const;

export const pvPatch = Type.Object({
  description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  abs_tolerance: Type.Optional(Type.Union([tolerance, Type.Null()])),
  rel_tolerance: Type.Optional(Type.Union([tolerance, Type.Null()])),
  read_only: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  tag_ids: Type.Optional(Type.Union([tagIds, Type.Null()])),
});

export const pvParams = Type.Object({ id: Type.String() });

const limit = (max: number, fallback: number) => Type.Integer({ minimum: 1, maximum: max, default: fallback });
const list = Type.Optional(Type.Array(Type.String()));

export const listQuery = Type.Object({ query: Type.Optional(Type.String()), tag_ids: list, limit: limit(1000, 1000) });

export const pagedQuery = Type.Object({
  cursor: Type.Optional(Type.String()),
  limit: limit(1000, 100),
  query: Type.Optional(Type.String()),
  tagFilters: Type.Optional(Type.String()),
  tag_ids: list,
  include_total: Type.Boolean({ default: false }),
});

export const searchQuery = Type.Object({
  q: Type.Optional(Type.String()),
  devices: list,
  tags: list,
  limit: limit(1000, 100),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  include_live_values: Type.Boolean({ default: false }),
});
