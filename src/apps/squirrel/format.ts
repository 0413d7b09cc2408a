/** Small conversions shared by squirrel's resources. */
import { isoMillis } from '../../core/time.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids are validated here, not by schema: a malformed id is the resource's 404 (spec §2 IDs). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Record times on the wire: ISO-8601 UTC with milliseconds. */
export const isoTime: (ms: number) => string = isoMillis;

export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}

/** SQLite stores booleans as 0/1; Postgres returns booleans. */
export function flag(value: boolean | number): boolean {
  return Boolean(value);
}

/** Case-insensitive uniqueness key for names. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

/** `%`, `_` and `\` match themselves in a LIKE pattern built from user text. */
export function likeContains(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
