import { Type, type Static } from '@sinclair/typebox';

/** `page` ≥ 1 (default 1) and `page_size` 1–100 (default 25); out of range → 422 at `["query", …]` (spec §2.6). */
export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
});
export type PageQuery = Static<typeof PageQuery>;

export interface Page<T> {
  page: number;
  page_size: number;
  total: number;
  data: T[];
}

export interface PageWindow {
  limit: number;
  offset: number;
}

export function pageWindow(query: PageQuery): PageWindow {
  return { limit: query.page_size, offset: (query.page - 1) * query.page_size };
}

/** A page past the end has `data: []` and the true `total`. */
export function toPage<T>(query: PageQuery, total: number, data: T[]): Page<T> {
  return { page: query.page, page_size: query.page_size, total, data };
}

/** Response schema of a page of `item`, for the OpenAPI document. */
export function pageOf<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({ page: Type.Integer(), page_size: Type.Integer(), total: Type.Integer(), data: Type.Array(item) });
}
