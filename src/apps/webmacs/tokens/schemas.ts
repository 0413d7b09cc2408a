import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../schemas.ts';

export const Token = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  last_used_at: Nullable(Type.String()),
  expires_at: Nullable(Type.String()),
  created_at: Type.String(),
  user_public_id: Type.String(),
});

export const TokenCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  expires_at: Type.Optional(Nullable(Type.String({ description: 'ISO-8601 datetime in the future' }))),
});
export type TokenCreateBody = Static<typeof TokenCreateBody>;

export const TokenCreated = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  token: Type.String(),
  expires_at: Nullable(Type.String()),
  created_at: Type.String(),
});
