import type { PlatformConfig } from '../config.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';
import type { AppDatabase } from './types.ts';

export type { AppDatabase, DialectHelpers, DialectName } from './types.ts';
export { migrateToLatest, type MigrationSet } from './migrate.ts';
export { prepareQuery } from './prepared.ts';

export interface OpenDatabaseOptions {
  appId: string;
  /** SQLite directory; ':memory:' for an in-memory database (tests) */
  dataDir: string;
  databaseUrl?: string;
  /** Postgres schema override (tests use a unique one per run) */
  schema?: string;
  /** SQLite reader threads (undefined: the default for this machine) */
  sqliteReaders?: number;
  /** whether one caller alone uses the process now: its costly SQLite reads skip the reader threads */
  soleCaller?: () => boolean;
}

/** the options an app's database opens with under the platform's settings (the server's and the CLIs') */
export function appDatabaseOptions(appId: string, config: PlatformConfig, schema?: string): OpenDatabaseOptions {
  return { appId, dataDir: config.BURROW_DATA_DIR, databaseUrl: config.DATABASE_URL, schema, sqliteReaders: config.BURROW_SQLITE_READERS };
}

export async function openAppDatabase(options: OpenDatabaseOptions): Promise<AppDatabase> {
  if (options.databaseUrl) return openPostgres(options.appId, options.databaseUrl, { schema: options.schema });
  return openSqlite(options.appId, options.dataDir, options.sqliteReaders, options.soleCaller);
}
