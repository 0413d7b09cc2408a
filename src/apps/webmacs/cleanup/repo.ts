import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';

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
  };
}

export type CleanupRepo = ReturnType<typeof cleanupRepo>;
