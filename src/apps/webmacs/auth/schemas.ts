import { Type, type Static } from '@sinclair/typebox';

export const LoginBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 255 }),
  password: Type.String({ minLength: 1 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const LoginResponse = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  access_token: Type.String(),
  public_id: Type.String(),
  username: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
});

export const PasswordChangeBody = Type.Object({
  current_password: Type.String(),
  new_password: Type.String({ minLength: 8 }),
});
export type PasswordChangeBody = Static<typeof PasswordChangeBody>;

export const PasswordChangeResponse = Type.Object({ status: Type.Literal('success'), message: Type.String(), access_token: Type.String() });
