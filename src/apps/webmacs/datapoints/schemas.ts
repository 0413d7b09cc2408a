import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../pagination.ts';
import { Nullable, StringEnum } from '../schemas.ts';
import { DOWNSAMPLE_METHODS } from './downsample.ts';

export const MAX_BATCH = 500;

export const Datapoint = Type.Object({
  public_id: Type.String(),
  value: Type.Number(),
  timestamp: Type.String(),
  event_public_id: Type.String(),
  experiment_public_id: Nullable(Type.String()),
});

export const DatapointCreateBody = Type.Object({
  value: Type.Number(),
  event_public_id: Type.String(),
  timestamp: Type.Optional(Nullable(Type.String({ description: 'ISO-8601; server time when absent' }))),
});
export type DatapointCreateBody = Static<typeof DatapointCreateBody>;

export const DatapointBatchBody = Type.Object({ datapoints: Type.Array(DatapointCreateBody, { maxItems: MAX_BATCH }) });
export type DatapointBatchBody = Static<typeof DatapointBatchBody>;

export const DatapointListQuery = Type.Composite([
  PageQuery,
  Type.Object({ event_public_id: Type.Optional(Type.String()), experiment_public_id: Type.Optional(Type.String()) }),
]);
export type DatapointListQuery = Static<typeof DatapointListQuery>;

export const SeriesBody = Type.Object({
  event_public_ids: Type.Array(Type.String(), { minItems: 1, maxItems: 20 }),
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 14_400, default: 60 })),
  max_points: Type.Optional(Type.Integer({ minimum: 10, maximum: 2000, default: 500 })),
  method: Type.Optional(StringEnum(DOWNSAMPLE_METHODS, { default: 'stride' })),
});
export type SeriesBody = Static<typeof SeriesBody>;

export const LatestQuery = Type.Object({ event_public_ids: Type.Optional(Type.String({ description: 'comma-separated event ids' })) });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' })),
});
