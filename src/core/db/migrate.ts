import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { AppDatabase } from './types.ts';

/**
 * A named, ordered set of Kysely migrations. Each set keeps its own bookkeeping table so the core's
 * tables (jobs, rate limits, deliveries) and an app's tables migrate independently in one database.
 * Migration names sort lexically: prefix them `0001_…`.
 */
export interface MigrationSet {
  /** bookkeeping table suffix: `core`, or the app id */
  name: string;
  migrations: Record<string, Migration>;
}

export async function migrateToLatest(database: AppDatabase, set: MigrationSet): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => set.migrations },
    migrationTableName: `burrow_migrations_${set.name}`,
    migrationLockTableName: `burrow_migrations_${set.name}_lock`,
    migrationTableSchema: database.schema,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${set.name}${failed ? `/${failed}` : ''} failed: ${cause}`, { cause: result.error });
  }
  return result;
}
