/*
 * Paging helpers. The wire shapes differ per app (cursor, page/page_size, limit/offset), so these only
 * parse and validate; each app renders errors in its own envelope. Both error classes carry
 * `statusCode = 400` so an app that does not map them still answers a client error, not a 500.
 */

export const CURSOR_VERSION = 1;

/** Cursors are short; anything longer is garbage and is refused before decoding. */
const MAX_CURSOR_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export class InvalidCursorError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

/** base64url JSON of `{"v":1, ...position}` — `{"v":1,"after":"…"}` for keyset paging. */
export function encodeCursor(position: Record<string, unknown> & { v?: never }): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, ...position }), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by encodeCursor. `validate` receives the position without `v` and returns the
 * typed position, or undefined when it is not one this endpoint issued.
 * Throws only InvalidCursorError.
 */
export function decodeCursor<T>(cursor: string, validate: (position: Record<string, unknown>) => T | undefined): T {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw new InvalidCursorError('cursor is not base64url');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not JSON');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw new InvalidCursorError('cursor is not an object');
  const { v, ...position } = decoded as Record<string, unknown>;
  if (v !== CURSOR_VERSION) throw new InvalidCursorError('cursor has an unknown version');
  let valid: T | undefined;
  try {
    valid = validate(position);
  } catch {
    valid = undefined;
  }
  if (valid === undefined) throw new InvalidCursorError('cursor position is not valid here');
  return valid;
}

export type PaginationProblem = 'not_integer' | 'too_small' | 'too_large';

export class PaginationError extends Error {
  readonly statusCode = 400;
  constructor(
    /** the query parameter at fault, as the client spelled it (`page_size`, `limit`…) */
    readonly field: string,
    readonly problem: PaginationProblem,
    readonly min: number,
    readonly max: number,
  ) {
    super(
      problem === 'not_integer'
        ? `${field} must be an integer`
        : problem === 'too_small'
          ? `${field} must be greater than or equal to ${min}`
          : `${field} must be less than or equal to ${max}`,
    );
    this.name = 'PaginationError';
  }
}

const INTEGER = /^-?\d+$/;

function integerFrom(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  // A digit string too long for a safe integer is still an integer: it fails the bounds, not the type.
  if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
  return undefined;
}

/**
 * One integer query value: a decimal string (Fastify's query parser) or a number (schema coercion).
 * undefined when absent; a repeated parameter, an empty string or a fraction is not an integer.
 */
export function parseIntegerParam(field: string, value: unknown, bounds: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const parsed = integerFrom(value);
  if (parsed === undefined) throw new PaginationError(field, 'not_integer', bounds.min, bounds.max);
  if (parsed < bounds.min) throw new PaginationError(field, 'too_small', bounds.min, bounds.max);
  if (parsed > bounds.max) throw new PaginationError(field, 'too_large', bounds.min, bounds.max);
  return parsed;
}

export interface PageQueryOptions {
  defaultPageSize: number;
  maxPageSize: number;
  /** largest page number accepted (default: unbounded) */
  maxPage?: number;
  pageField?: string;
  pageSizeField?: string;
}

export interface PageWindow {
  page: number;
  pageSize: number;
  /** the same window as SQL limit/offset */
  limit: number;
  offset: number;
}

/** `page` (≥ 1, default 1) and `page_size` (1..max, default given) from a parsed query string. */
export function parsePageQuery(query: Record<string, unknown>, options: PageQueryOptions): PageWindow {
  const pageField = options.pageField ?? 'page';
  const pageSizeField = options.pageSizeField ?? 'page_size';
  const maxPage = options.maxPage ?? Math.floor(Number.MAX_SAFE_INTEGER / options.maxPageSize);
  const page = parseIntegerParam(pageField, query[pageField], { min: 1, max: maxPage }) ?? 1;
  const pageSize = parseIntegerParam(pageSizeField, query[pageSizeField], { min: 1, max: options.maxPageSize }) ?? options.defaultPageSize;
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

export interface LimitOffsetOptions {
  defaultLimit: number;
  maxLimit: number;
  /** smallest limit accepted (default 1) */
  minLimit?: number;
  /** largest offset accepted (default: unbounded) */
  maxOffset?: number;
  limitField?: string;
  offsetField?: string;
}

/** `limit` (min..max, default given) and `offset` (≥ 0, default 0) from a parsed query string. */
export function parseLimitOffset(query: Record<string, unknown>, options: LimitOffsetOptions): { limit: number; offset: number } {
  const limitField = options.limitField ?? 'limit';
  const offsetField = options.offsetField ?? 'offset';
  const limit = parseIntegerParam(limitField, query[limitField], { min: options.minLimit ?? 1, max: options.maxLimit }) ?? options.defaultLimit;
  const offset = parseIntegerParam(offsetField, query[offsetField], { min: 0, max: options.maxOffset ?? Number.MAX_SAFE_INTEGER }) ?? 0;
  return { limit, offset };
}
