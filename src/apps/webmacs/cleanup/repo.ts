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
  };
}

export type CleanupRepo = ReturnType<typeof cleanupRepo>;
