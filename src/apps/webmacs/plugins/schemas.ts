import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../schemas.ts';
import { CHANNEL_DIRECTIONS } from './builtin/index.ts';

export const ChannelMapping = Type.Object({
  public_id: Type.String(),
  channel_id: Type.String(),
  channel_name: Type.String(),
  direction: StringEnum(CHANNEL_DIRECTIONS),
  unit: Type.String(),
  event_public_id: Nullable(Type.String()),
  created_on: Type.String(),
});

export const PluginInstance = Type.Object({
  public_id: Type.String(),
  plugin_id: Type.String(),
  instance_name: Type.String(),
  demo_mode: Type.Boolean(),
  enabled: Type.Boolean(),
  status: Type.String(),
  config_json: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  created_on: Type.String(),
  updated_on: Type.String(),
  user_public_id: Type.String(),
  channel_mappings: Type.Array(ChannelMapping),
});

/** A JSON object given as text or inline (spec §3.13 D27; the object form is an Addition). */
const ConfigJson = Type.Union([Type.String(), Type.Object({}, { additionalProperties: true }), Type.Null()]);

export const PluginCreateBody = Type.Object({
  plugin_id: Type.String({ minLength: 1, maxLength: 100 }),
  instance_name: Type.String({ minLength: 1, maxLength: 255 }),
  demo_mode: Type.Optional(Type.Boolean({ default: false })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  auto_create_events: Type.Optional(Type.Boolean({ default: true })),
  config_json: Type.Optional(ConfigJson),
});
export type PluginCreateBody = Static<typeof PluginCreateBody>;

export const PluginUpdateBody = Type.Object({
  instance_name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  demo_mode: Type.Optional(Type.Boolean()),
  enabled: Type.Optional(Type.Boolean()),
  config_json: Type.Optional(ConfigJson),
});
export type PluginUpdateBody = Static<typeof PluginUpdateBody>;

export const MappingCreateBody = Type.Object({
  channel_id: Type.String({ minLength: 1, maxLength: 100 }),
  channel_name: Type.String({ minLength: 1, maxLength: 255 }),
  direction: StringEnum(CHANNEL_DIRECTIONS),
  unit: Type.String({ minLength: 1, maxLength: 50 }),
  event_public_id: Type.Optional(Nullable(Type.String())),
});
export type MappingCreateBody = Static<typeof MappingCreateBody>;

export const MappingUpdateBody = Type.Object({ event_public_id: Nullable(Type.String()) });
export type MappingUpdateBody = Static<typeof MappingUpdateBody>;

export const MappingParams = Type.Object({ id: Type.String(), mid: Type.String() });
