import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../schemas.ts';

export const ROLES = ['admin', 'operator', 'viewer'] as const;

export const User = Type.Object({
  public_id: Type.String(),
  email: Type.String(),
  username: Type.String(),
  role: StringEnum(ROLES),
  admin: Type.Boolean(),
  sso_provider: Nullable(Type.String()),
  created_on: Type.String(),
  registered_on: Type.String(),
});

const email = Type.String({ format: 'email', maxLength: 255 });
const username = Type.String({ minLength: 2, maxLength: 50 });
const password = Type.String({ minLength: 8 });

export const UserCreateBody = Type.Object({ email, username, password, role: Type.Optional(StringEnum(ROLES, { default: 'viewer' })) });
export type UserCreateBody = Static<typeof UserCreateBody>;

export const UserUpdateBody = Type.Object({
  email: Type.Optional(email),
  username: Type.Optional(username),
  password: Type.Optional(password),
  role: Type.Optional(StringEnum(ROLES)),
});
export type UserUpdateBody = Static<typeof UserUpdateBody>;
