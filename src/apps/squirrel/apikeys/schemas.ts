import { Type } from '@sinclair/typebox';

export const activeOnlyQuery = Type.Object({ active_only: Type.Boolean({ default: false }) });

export const createApiKeyBody = Type.Object({
  app_name: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
  read_access: Type.Boolean(),
  write_access: Type.Boolean(),
});

export const deactivateQuery = Type.Object({ force: Type.Boolean({ default: false }) });

export const idParams = Type.Object({ id: Type.String() });

export const apiKey = Type.Object({
  id: Type.String(),
  app_name: Type.String(),
  is_active: Type.Boolean(),
  read_access: Type.Boolean(),
  write_access: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
});
