import { Type, type TSchema } from '@sinclair/typebox';

/*
 * Schema pieces shared by every webmacs resource. Response schemas are documentation only (routes do
 * not serialize through them), so they can never strip a field the contract requires.
 */

/** `{"status":"success","message":…}` (spec §2.2) */
export const StatusResponse = Type.Object({ status: Type.Literal('success'), message: Type.String() });

/** Status + the `public_id` of what was created (201, D4) */
export const CreatedResponse = Type.Object({ status: Type.Literal('success'), message: Type.String(), public_id: Type.String() });

export function status(message: string) {
  return { status: 'success' as const, message };
}

export function created(message: string, publicId: string) {
  return { status: 'success' as const, message, public_id: publicId };
}

/** One string enum as a single `enum` keyword, so a bad value yields one Pydantic `enum` error. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** A path id; anything longer than 200 characters cannot be an id and is answered 404 (spec §8). */
export const IdParams = Type.Object({ id: Type.String() });

/** `2025-01-15T14:30:00.123456Z`: REST datetimes in responses (documentation). */
export const DateTimeString = Type.String({ description: 'ISO-8601 UTC with Z' });
