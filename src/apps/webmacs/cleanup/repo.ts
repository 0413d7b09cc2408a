import { sql, type Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';

/** A Postgres range partition of `datapoints` (spec §7): rows with from ≤ ts < to, in µs. */
export interface DatapointPartition {
  name: string;
  from: number;
  to: number;
}

const RANGE_BOUND = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/;

/** Rows that only exist to be checked for a while and then serve no one (spec §4.7 `webmacs.cleanup`). */
export function cleanupRepo(db: Kysely<WebmacsDatabase>) {
  return {
    /** A revoked JWT past its own expiry is refused for being expired anyway. */
    async deleteRevocationsExpiredBefore(micros: number): Promise<number> {
      const result = await db.deleteFrom('revoked_tokens').where('expires_at', '<', micros).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async deleteSsoCodesExpiredBefore(micros: number): Promise<number> {
      const result = await db.deleteFrom('sso_codes').where('expires_at', '<', micros).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async deleteIdempotencyKeysCreatedBefore(micros: number): Promise<number> {
      const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', micros).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    /** `burrow webmacs purge-datapoints`: one transaction per chunk, so ingestion never waits long (spec §4.8). */
    async deleteDatapointsBefore(micros: number, chunkRows: number): Promise<number> {
      let deleted = 0;
      for (;;) {
        const chunk = db.selectFrom('datapoints').select('id').where('ts', '<', micros).limit(chunkRows);
        const removed = Number((await db.deleteFrom('datapoints').where('id', 'in', chunk).executeTakeFirst()).numDeletedRows);
        deleted += removed;
        if (removed < chunkRows) return deleted;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    /** Postgres only: the range partitions of `datapoints` in this app's schema (the default one has no range). */
    async datapointPartitions(): Promise<DatapointPartition[]> {
      const { rows } = await sql<{ name: string; bound: string }>`
        select child.relname as name, pg_get_expr(child.relpartbound, child.oid) as bound
        from pg_inherits
        join pg_class child on child.oid = pg_inherits.inhrelid
        join pg_class parent on parent.oid = pg_inherits.inhparent
        join pg_namespace ns on ns.oid = parent.relnamespace
        where parent.relname = 'datapoints' and ns.nspname = current_schema()`.execute(db);
      return rows.flatMap(({ name, bound }) => {
        const range = RANGE_BOUND.exec(bound);
        return range ? [{ name, from: Number(range[1]), to: Number(range[2]) }] : [];
      });
    },
    /** Removes a whole partition at once: a short lock on `datapoints` instead of millions of row deletes. */
    async dropDatapointPartition(name: string): Promise<void> {
      await sql`alter table datapoints detach partition ${sql.id(name)}`.execute(db);
      await sql`drop table ${sql.id(name)}`.execute(db);
    },
  };
}

export type CleanupRepo = ReturnType<typeof cleanupRepo>;
