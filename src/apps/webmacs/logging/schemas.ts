import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../pagination.ts';
import { StringEnum } from '../schemas.ts';

export const LOGGING_TYPES = ['error', 'warning', 'info'] as const;
export const STATUS_TYPES = ['read', 'unread'] as const;

export const LogEntry = Type.Object({
  public_id: Type.String(),
  content: Type.String(),
  logging_type: StringEnum(LOGGING_TYPES),
  status_type: StringEnum(STATUS_TYPES),
  created_on: Type.String(),
  user_public_id: Type.String(),
});

export const LogListQuery = Type.Composite([
  PageQuery,
  Type.Object({ logging_type: Type.Optional(StringEnum(LOGGING_TYPES)), status_type: Type.Optional(StringEnum(STATUS_TYPES)) }),
]);
export type LogListQuery = Static<typeof LogListQuery>;

export const LogCreateBody = Type.Object({
  content: Type.String({ minLength: 1, maxLength: 500 }),
  logging_type: Type.Optional(StringEnum(LOGGING_TYPES, { default: 'info' })),
});
export type LogCreateBody = Static<typeof LogCreateBody>;

export const LogUpdateBody = Type.Object({
  status_type: Type.Optional(StringEnum(STATUS_TYPES)),
  content: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
});
export type LogUpdateBody = Static<typeof LogUpdateBody>;
