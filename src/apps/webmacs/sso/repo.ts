import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';

/** One-time SSO codes (hash only), in the database so any instance can redeem them (D29). */
export function ssoCodesRepo(db: Kysely<WebmacsDatabase>) {
  return {
    async insert(codeHash: string, userId: number, expiresAt: number): Promise<void> {
      await db.insertInto('sso_codes').values({ code_hash: codeHash, user_id: userId, expires_at: expiresAt, used_at: null }).execute();
    },
    /** Marks the code used if it is unused and unexpired; the user id when this call won it. */
    async consume(codeHash: string, now: number): Promise<number | undefined> {
      const result = await db
        .updateTable('sso_codes')
        .set({ used_at: now })
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      return (await db.selectFrom('sso_codes').select('user_id').where('code_hash', '=', codeHash).executeTakeFirst())?.user_id;
    },
  };
}

export type SsoCodesRepo = ReturnType<typeof ssoCodesRepo>;
