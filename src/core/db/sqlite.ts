import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { AppDatabase, DialectHelpers } from './types.ts';

// better-sqlite3 refuses to bind booleans and Dates; Postgres takes them natively. Converting the bound
// parameters lets repos bind the same values on both dialects (cheaper than rewriting Kysely's AST).
function toSqliteValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Runs on every bound parameter of every statement (40,000-row inserts), hence a loop and typeof first. */
function bindable(parameters: readonly unknown[]): unknown[] {
  for (const p of parameters) {
    if (typeof p === 'boolean' || (typeof p === 'object' && p instanceof Date)) return parameters.map(toSqliteValue);
  }
  return parameters as unknown[];
}

function adapt(statement: Database.Statement): SqliteStatement {
  return {
    reader: statement.reader,
    all: (parameters) => statement.all(bindable(parameters)),
    run: (parameters) => statement.run(bindable(parameters)),
    iterate: (parameters) => statement.iterate(bindable(parameters)),
  };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 compiles a statement on every prepare(); Kysely prepares per query. Caching by SQL text
 * makes repeated queries skip the compile. Safe because Kysely serialises all use of the one connection.
 */
function withStatementCache(sqlite: Database.Database): SqliteDatabase & { prepare(sql: string): SqliteStatement } {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = adapt(sqlite.prepare(sql));
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

const sqliteHelpers: DialectHelpers = {
  name: 'sqlite',
  isTransientError(err) {
    const code = (err as { code?: string } | null)?.code ?? '';
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_');
  },
  isUniqueViolation(err) {
    const code = (err as { code?: string } | null)?.code ?? '';
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  supportsSkipLocked: false,
  jsonType: 'text',
  maxParameters: 32_766,
};

export function openSqlite(appId: string, dataDir: string): AppDatabase {
  const file = dataDir === ':memory:' ? ':memory:' : path.resolve(dataDir, `${appId}.db`);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const statements = withStatementCache(sqlite);
  const db = new Kysely({ dialect: new SqliteDialect({ database: statements }) });
  return {
    appId,
    db,
    dialect: sqliteHelpers,
    file,
    transaction: (fn) => db.transaction().execute(fn),
    async executeCompiled<R>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<R>> {
      // Kysely serialises the one connection behind an async mutex; a transaction holds it across awaits.
      // With none open, nothing can interleave with a single synchronous statement.
      if (sqlite.inTransaction) return db.executeQuery(CompiledQuery.raw(sql, [...parameters]) as CompiledQuery<R>);
      const statement = statements.prepare(sql);
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    },
    async ping() {
      sqlite.prepare('select 1').get();
    },
    async close() {
      await db.destroy();
    },
  };
}
