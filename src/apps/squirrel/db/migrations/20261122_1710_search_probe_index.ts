import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/*
 * Keyset pages test the term on PVs in id order (spec §9 B4): walking pv by id, or probing the ids a
 * tag's links give. On SQLite each such test otherwise reads the whole row through the id index; with
 * search_text in the index the test reads the index alone. Postgres is left as it is: a btree entry is
 * limited to about 2.7 kB, and search_text may be longer.
 */
export const pvSearchProbeIndex: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) return;
    await sql`create index pv_id_search_text_idx on pv (id, search_text)`.execute(db);
  },
};
