import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';

/** Revoked JWT ids, kept until the token would have expired anyway (the cleanup job drops them after). */
export function revocationsRepo(db: Kysely<WebmacsDatabase>) {
  return {
    async isRevoked(jti: string): Promise<boolean> {
      return (await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst()) !== undefined;
    },
    async revoke(jti: string, userId: number, expiresAt: number): Promise<void> {
      await db
        .insertInto('revoked_tokens')
        .values({ jti, user_id: userId, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },
  };
}

export type RevocationsRepo = ReturnType<typeof revocationsRepo>;
