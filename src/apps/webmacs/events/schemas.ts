import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../schemas.ts';

export const EVENT_TYPES = ['sensor', 'actuator', 'range', 'cmd_button', 'cmd_opened', 'cmd_closed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const Event = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  min_value: Type.Number(),
  max_value: Type.Number(),
  unit: Type.String(),
  type: StringEnum(EVENT_TYPES),
  user_public_id: Type.String(),
});

const eventFields = {
  name: Type.String({ minLength: 1, maxLength: 255 }),
  min_value: Type.Number(),
  max_value: Type.Number(),
  unit: Type.String({ minLength: 1, maxLength: 255 }),
  type: StringEnum(EVENT_TYPES),
};

export const EventCreateBody = Type.Object(eventFields);
export type EventCreateBody = Static<typeof EventCreateBody>;

export const EventUpdateBody = Type.Partial(Type.Object(eventFields));
export type EventUpdateBody = Static<typeof EventUpdateBody>;
