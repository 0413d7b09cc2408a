import { prepareQuery, type AppDatabase } from '../../../core/db/index.ts';
import type { ApiKeyTable, SquirrelDb } from '../db/schema.ts';

export type ApiKeyRow = ApiKeyTable;

export function createApiKeyRepo(database: AppDatabase<SquirrelDb>) {
  const { db } = database;
  // Every request runs it (spec §2: no credential cache), so it is built and compiled once.
  const byHash = prepareQuery<{ tokenHash: string }, ApiKeyRow>((p) => db.selectFrom('api_key').selectAll().where('token_hash', '=', p.tokenHash));
  return {
    async findByHash(tokenHash: string): Promise<ApiKeyRow | undefined> {
      return (await byHash(database, { tokenHash })).rows[0];
    },
    findById(id: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('api_key').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findActiveByApp(appName: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('api_key').selectAll().where('app_name', '=', appName).where('is_active', '=', true).executeTakeFirst();
    },
    async insert(row: ApiKeyRow): Promise<void> {
      await db.insertInto('api_key').values(row).execute();
    },
    list(activeOnly: boolean): Promise<ApiKeyRow[]> {
      let query = db.selectFrom('api_key').selectAll();
      if (activeOnly) query = query.where('is_active', '=', true);
      return query.orderBy('created_at').orderBy('id').execute();
    },
    async count(activeOnly: boolean): Promise<number> {
      let query = db.selectFrom('api_key').select((eb) => eb.fn.countAll<number>().as('n'));
      if (activeOnly) query = query.where('is_active', '=', true);
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** true when the key was active and is now inactive */
    async deactivate(id: string, at: number): Promise<boolean> {
      const result = await db
        .updateTable('api_key')
        .set({ is_active: false, updated_at: at })
        .where('id', '=', id)
        .where('is_active', '=', true)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async touch(id: string, at: number): Promise<void> {
      await db.updateTable('api_key').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

export type ApiKeyRepo = ReturnType<typeof createApiKeyRepo>;
