import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../schemas.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/schemas.ts';
import { RULE_OPERATORS } from './conditions.ts';

export const ACTION_TYPES = ['webhook', 'log'] as const;

export const Rule = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  event_public_id: Type.String(),
  operator: StringEnum(RULE_OPERATORS),
  threshold: Type.Number(),
  threshold_high: Nullable(Type.Number()),
  action_type: StringEnum(ACTION_TYPES),
  webhook_event_type: Nullable(StringEnum(WEBHOOK_EVENT_TYPES)),
  enabled: Type.Boolean(),
  cooldown_seconds: Type.Integer(),
  last_triggered_at: Nullable(Type.String()),
  created_on: Type.String(),
  user_public_id: Type.String(),
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 255 }),
  event_public_id: Type.String(),
  operator: StringEnum(RULE_OPERATORS),
  threshold: Type.Number(),
  threshold_high: Nullable(Type.Number()),
  action_type: StringEnum(ACTION_TYPES),
  webhook_event_type: Nullable(StringEnum(WEBHOOK_EVENT_TYPES)),
  enabled: Type.Boolean(),
  cooldown_seconds: Type.Integer({ minimum: 0 }),
};

export const RuleCreateBody = Type.Object({
  name: fields.name,
  event_public_id: fields.event_public_id,
  operator: fields.operator,
  threshold: fields.threshold,
  threshold_high: Type.Optional(fields.threshold_high),
  action_type: fields.action_type,
  webhook_event_type: Type.Optional(fields.webhook_event_type),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  cooldown_seconds: Type.Optional(Type.Integer({ minimum: 0, default: 60 })),
});
export type RuleCreateBody = Static<typeof RuleCreateBody>;

export const RuleUpdateBody = Type.Partial(Type.Object(fields));
export type RuleUpdateBody = Static<typeof RuleUpdateBody>;
