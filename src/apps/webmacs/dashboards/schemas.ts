import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../schemas.ts';

export const WIDGET_TYPES = ['line_chart', 'gauge', 'stat_card', 'actuator_toggle'] as const;

export const Widget = Type.Object({
  public_id: Type.String(),
  widget_type: StringEnum(WIDGET_TYPES),
  title: Type.String(),
  event_public_id: Nullable(Type.String()),
  x: Type.Integer(),
  y: Type.Integer(),
  w: Type.Integer(),
  h: Type.Integer(),
  config_json: Nullable(Type.String()),
});

export const Dashboard = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  is_global: Type.Boolean(),
  created_on: Type.String(),
  user_public_id: Type.String(),
  widgets: Type.Array(Widget),
});

const name = Type.String({ minLength: 1, maxLength: 255 });

export const DashboardCreateBody = Type.Object({ name, is_global: Type.Optional(Type.Boolean({ default: false })) });
export type DashboardCreateBody = Static<typeof DashboardCreateBody>;

export const DashboardUpdateBody = Type.Object({ name: Type.Optional(name), is_global: Type.Optional(Type.Boolean()) });
export type DashboardUpdateBody = Static<typeof DashboardUpdateBody>;

const title = Type.String({ minLength: 1, maxLength: 255 });
const eventPublicId = Nullable(Type.String());
const position = Type.Integer({ minimum: 0 });
const span = Type.Integer({ minimum: 1, maximum: 12 });
// An opaque string stored verbatim (spec §3.9), capped at 64 KiB.
const configJson = Nullable(Type.String({ maxLength: 65_536 }));

export const WidgetCreateBody = Type.Object({
  widget_type: StringEnum(WIDGET_TYPES),
  title,
  event_public_id: Type.Optional(eventPublicId),
  x: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  y: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  w: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, default: 4 })),
  h: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, default: 3 })),
  config_json: Type.Optional(configJson),
});
export type WidgetCreateBody = Static<typeof WidgetCreateBody>;

export const WidgetUpdateBody = Type.Object({
  title: Type.Optional(title),
  event_public_id: Type.Optional(eventPublicId),
  x: Type.Optional(position),
  y: Type.Optional(position),
  w: Type.Optional(span),
  h: Type.Optional(span),
  config_json: Type.Optional(configJson),
});
export type WidgetUpdateBody = Static<typeof WidgetUpdateBody>;

export const WidgetParams = Type.Object({ id: Type.String(), wid: Type.String() });
