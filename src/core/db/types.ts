import type { Kysely, QueryResult, Transaction } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * What differs between SQLite and Postgres, in one place (directus style). Repos call these instead
 * of branching on the dialect.
 */
export interface DialectHelpers {
  readonly name: DialectName;
  /** true when the error is a transient lock/connection failure worth retrying */
  isTransientError(err: unknown): boolean;
  /** true when the error is a unique-constraint violation */
  isUniqueViolation(err: unknown): boolean;
  /** `FOR UPDATE SKIP LOCKED` where supported (Postgres); SQLite serialises writers instead */
  readonly supportsSkipLocked: boolean;
  /** column type for JSON documents in migrations */
  readonly jsonType: 'jsonb' | 'text';
  /** largest number of bound parameters one statement may carry */
  readonly maxParameters: number;
}

/**
 * One app's database: a SQLite file `data/<app>.db`, or schema `<app>` in Postgres.
 * Repos use `db` with Kysely; values cross the boundary as plain JS: numbers (int8 and numeric are
 * parsed to numbers on Postgres), strings, booleans (SQLite stores 0/1; bind booleans freely, read
 * them with Boolean()), null. Store times as epoch-millisecond integers or ISO strings, JSON as text.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface AppDatabase<DB = any> {
  readonly appId: string;
  readonly db: Kysely<DB>;
  readonly dialect: DialectHelpers;
  /** the Postgres schema holding this app's tables (undefined on SQLite) */
  readonly schema?: string;
  /** SQLite file path (undefined on Postgres) */
  readonly file?: string;
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Runs already-compiled SQL (see prepareQuery) outside any transaction, without Kysely's per-query
   * work. On SQLite it goes where any such query would: a costly read to a reader thread, anything else
   * to the main connection in its turn, so it never reads or writes through another caller's transaction.
   */
  executeCompiled<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>>;
  /** cheap liveness probe used by health endpoints */
  ping(): Promise<void>;
  close(): Promise<void>;
}
