import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, WebmacsDatabase } from '../db/schema.ts';

export type ApiTokenRow = Selectable<ApiTokensTable>;

export interface ApiTokenListRow extends ApiTokenRow {
  user_public_id: string;
}

export function tokensRepo(db: Kysely<WebmacsDatabase>) {
  const listed = () =>
    db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').selectAll('api_tokens').select('users.public_id as user_public_id');
  return {
    findByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
      return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst() as Promise<ApiTokenRow | undefined>;
    },
    findByPublicId(publicId: string): Promise<ApiTokenRow | undefined> {
      return db.selectFrom('api_tokens').selectAll().where('public_id', '=', publicId).executeTakeFirst() as Promise<ApiTokenRow | undefined>;
    },
    async touch(id: number, at: number): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async insert(token: Omit<ApiTokenRow, 'id'>): Promise<void> {
      await db.insertInto('api_tokens').values(token).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('api_tokens').where('id', '=', id).execute();
    },
    /** Newest first (spec §2.6); `userId` undefined lists everyone's (admins). */
    async page(userId: number | undefined, limit: number, offset: number): Promise<{ total: number; rows: ApiTokenListRow[] }> {
      let count = db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n'));
      let rows = listed().orderBy('api_tokens.created_at', 'desc').orderBy('api_tokens.id', 'desc').limit(limit).offset(offset);
      if (userId !== undefined) {
        count = count.where('user_id', '=', userId);
        rows = rows.where('api_tokens.user_id', '=', userId);
      }
      const [total, data] = await Promise.all([count.executeTakeFirstOrThrow(), rows.execute()]);
      return { total: Number(total.n), rows: data as ApiTokenListRow[] };
    },
  };
}

export type TokensRepo = ReturnType<typeof tokensRepo>;
