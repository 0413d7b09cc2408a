import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/*
 * Substring search over pv.search_text (spec §7, §9 B4). SQLite: an FTS5 trigram index holding the
 * pv rowids, kept by triggers, so every writer (repo code or not) keeps it in step. Postgres: a pg_trgm
 * GIN index, which plain LIKE on search_text uses as it is; without the extension LIKE still answers.
 */

async function sqliteUp(db: Kysely<unknown>): Promise<void> {
  // Contentless: search_text already lives in pv; the index only needs to map trigrams to pv rowids.
  await sql`create virtual table pv_fts using fts5(search_text, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
  await sql`insert into pv_fts(rowid, search_text) select rowid, search_text from pv`.execute(db);
  await sql`create trigger pv_fts_insert after insert on pv begin
    insert into pv_fts(rowid, search_text) values (new.rowid, new.search_text); end`.execute(db);
  await sql`create trigger pv_fts_delete after delete on pv begin
    delete from pv_fts where rowid = old.rowid; end`.execute(db);
  await sql`create trigger pv_fts_update after update of search_text on pv begin
    delete from pv_fts where rowid = old.rowid;
    insert into pv_fts(rowid, search_text) values (new.rowid, new.search_text); end`.execute(db);
}

/** the schema pg_trgm lives in, or undefined when it cannot be had on this server */
async function trigramSchema(db: Kysely<unknown>): Promise<string | undefined> {
  const installed = async () =>
    (await sql<{ schema: string }>`select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db)).rows[0]?.schema;
  const existing = await installed();
  if (existing) return existing;
  const available = await sql`select 1 from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (!available.rows.length) return undefined;
  // The migration runs in a transaction: a refused create (no privilege, a concurrent create) must not abort it.
  // Into public, never the app's schema: dropping an app schema would otherwise drop the extension for all.
  await sql`savepoint pg_trgm_create`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm with schema public`.execute(db);
    await sql`release savepoint pg_trgm_create`.execute(db);
  } catch {
    await sql`rollback to savepoint pg_trgm_create`.execute(db);
  }
  return installed();
}

async function postgresUp(db: Kysely<unknown>): Promise<void> {
  const schema = await trigramSchema(db);
  if (!schema) return;
  await sql`create index pv_search_trgm_idx on pv using gin (search_text ${sql.id(schema)}.gin_trgm_ops)`.execute(db);
}

export const pvSearchIndex: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) await postgresUp(db);
    else await sqliteUp(db);
  },
};
