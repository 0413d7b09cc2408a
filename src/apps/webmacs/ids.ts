import { randomBytes } from 'node:crypto';

/** Public id prefixes of spec §2.1 (D6); internal integer ids never leave the server. */
export const ID_PREFIXES = ['usr', 'evt', 'exp', 'log', 'tok', 'dsh', 'wgt', 'whk', 'dlv', 'rul', 'fw', 'plg', 'chm', 'pkg'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 24;
// 252 is the largest multiple of 36 below 256: bytes at or above it are skipped so every character is equally likely.
const UNBIASED_LIMIT = 252;

/** `<prefix>_<24 × [0-9a-z]>`: 124 random bits, enough that collisions never need handling. */
export function newPublicId(prefix: IdPrefix): string {
  let out = `${prefix}_`;
  while (out.length < prefix.length + 1 + RANDOM_LENGTH) {
    for (const byte of randomBytes(32)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += ALPHABET[byte % 36];
      if (out.length === prefix.length + 1 + RANDOM_LENGTH) break;
    }
  }
  return out;
}

const PUBLIC_ID = /^([a-z]{2,3})_[0-9a-z]{24}$/;

/** True when `value` has the shape of an id of that kind; anything else is answered 404 without a query. */
export function isPublicId(prefix: IdPrefix, value: string): boolean {
  return PUBLIC_ID.exec(value)?.[1] === prefix;
}

/** Datapoints are addressed by their row id (no 10 M-row unique index of random strings, D6). */
export function datapointPublicId(rowId: number): string {
  return `dp_${rowId.toString(36)}`;
}

/** The row id of a canonical `dp_<base36>` id, or undefined (leading zeros and oversize values are not ids). */
export function datapointRowId(publicId: string): number | undefined {
  const match = /^dp_([1-9a-z][0-9a-z]{0,10})$/.exec(publicId);
  if (!match) return undefined;
  const rowId = parseInt(match[1]!, 36);
  return Number.isSafeInteger(rowId) ? rowId : undefined;
}
