import { PostgresAdapter, type CreateTableBuilder, type Kysely } from 'kysely';

/*
 * Migrations receive a bare Kysely, not the AppDatabase and its dialect helpers, so the few DDL
 * differences (identity columns, the partitioned datapoints table) are decided here, once.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;

export function isPostgres(db: AnyKysely): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** An internal integer primary key that is never reused (SQLite AUTOINCREMENT, Postgres bigserial). */
export function withId<T extends string>(db: AnyKysely, table: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> {
  return isPostgres(db)
    ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
