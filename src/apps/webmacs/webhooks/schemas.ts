import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../pagination.ts';
import { Nullable, StringEnum } from '../schemas.ts';

export const WEBHOOK_EVENT_TYPES = ['sensor.threshold_exceeded', 'sensor.reading', 'experiment.started', 'experiment.stopped', 'system.health_changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead_letter'] as const;

export const Webhook = Type.Object({
  public_id: Type.String(),
  url: Type.String(),
  events: Type.Array(StringEnum(WEBHOOK_EVENT_TYPES)),
  enabled: Type.Boolean(),
  has_secret: Type.Boolean(),
  created_on: Type.String(),
  user_public_id: Type.String(),
});

export const Delivery = Type.Object({
  public_id: Type.String(),
  event_type: Type.String(),
  status: StringEnum(DELIVERY_STATUSES),
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  response_code: Nullable(Type.Integer()),
  created_on: Type.String(),
  delivered_on: Nullable(Type.String()),
  next_attempt_at: Nullable(Type.String()),
  redelivery_of: Nullable(Type.String()),
  payload: Type.Unknown(),
});

const fields = {
  url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
  secret: Nullable(Type.String({ maxLength: 255 })),
  events: Type.Array(StringEnum(WEBHOOK_EVENT_TYPES), { minItems: 1 }),
  enabled: Type.Boolean(),
};

export const WebhookCreateBody = Type.Object({
  url: fields.url,
  secret: Type.Optional(fields.secret),
  events: fields.events,
  enabled: Type.Optional(Type.Boolean({ default: true })),
});
export type WebhookCreateBody = Static<typeof WebhookCreateBody>;

export const WebhookUpdateBody = Type.Partial(Type.Object(fields));
export type WebhookUpdateBody = Static<typeof WebhookUpdateBody>;

export const DeliveryListQuery = Type.Composite([PageQuery, Type.Object({ status: Type.Optional(StringEnum(DELIVERY_STATUSES)) })]);
export type DeliveryListQuery = Static<typeof DeliveryListQuery>;

export const DeliveryParams = Type.Object({ id: Type.String(), did: Type.String() });
