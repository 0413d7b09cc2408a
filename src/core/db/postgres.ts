import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import type { AppDatabase, DialectHelpers } from './types.ts';

// Counts and ids come back as numbers on SQLite; make Postgres agree (int8 and numeric are otherwise strings).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '55P03', '57P01', '08000', '08003', '08006', '53300']);

const postgresHelpers: DialectHelpers = {
  name: 'postgres',
  isTransientError(err) {
    const e = err as { code?: string } | null;
    return TRANSIENT_PG_CODES.has(e?.code ?? '') || e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET';
  },
  isUniqueViolation(err) {
    return (err as { code?: string } | null)?.code === '23505';
  },
  supportsSkipLocked: true,
  jsonType: 'jsonb',
  maxParameters: 65_535,
};

/**
 * Kysely's Postgres introspector reads every schema's columns, which is slow with many schemas and fails
 * when another process drops a schema mid-query. The migrator only asks whether its own tables exist, so
 * this one answers for the app's schema alone, from information_schema.
 */
class SchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const rows = await sql<{ name: string }>`select schema_name as name from information_schema.schemata where schema_name = ${this.schema}`.execute(this.db);
    return rows.rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const rows = await sql<{ name: string; is_view: boolean }>`
      select table_name as name, table_type = 'VIEW' as is_view
      from information_schema.tables where table_schema = ${this.schema}`.execute(this.db);
    return rows.rows.map((row) => ({ name: row.name, isView: row.is_view, schema: this.schema, columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.schema);
  }
}

export function schemaNameFor(appId: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(appId)) throw new Error(`invalid app id for a schema name: ${appId}`);
  return appId;
}

export async function openPostgres(
  appId: string,
  databaseUrl: string,
  options: { schema?: string; poolSize?: number } = {},
): Promise<AppDatabase> {
  const schema = options.schema ?? schemaNameFor(appId);
  const bootstrap = new pg.Client({ connectionString: databaseUrl });
  await bootstrap.connect();
  try {
    await bootstrap.query(`create schema if not exists "${schema}"`);
  } catch (err) {
    // Two processes starting at once race on create schema; the loser sees a unique violation.
    if ((err as { code?: string }).code !== '23505') throw err;
  } finally {
    await bootstrap.end();
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    // Every connection resolves unqualified table names in the app's own schema.
    options: `-c search_path="${schema}"`,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => {});
  const db = new Kysely({ dialect: new SchemaScopedPostgresDialect({ pool }, schema) });
  return {
    appId,
    db,
    dialect: postgresHelpers,
    schema,
    transaction: (fn) => db.transaction().execute(fn),
    executeCompiled: <R>(sqlText: string, parameters: readonly unknown[]) =>
      db.executeQuery(CompiledQuery.raw(sqlText, [...parameters]) as CompiledQuery<R>),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
