import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import { ReaderUnavailableError, SqliteReaders } from './sqliteReaders.ts';
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

type RowBuilder = (values: unknown[]) => Record<string, unknown>;

/**
 * A function making a row object from a raw row's values. better-sqlite3 builds each row object through
 * V8's property API; an object literal of fixed shape built in JS costs about a sixth of that (a 101-row,
 * 14-column page: 1,070 µs as better-sqlite3's objects, 480 µs as raw rows, 570 µs raw plus this).
 * Keys are computed (`["name"]`) so no column name can set the prototype; a repeated name keeps its last
 * value, as in better-sqlite3's rows.
 */
function rowBuilder(names: readonly string[]): RowBuilder {
  return new Function('values', `return {${names.map((name, i) => `[${JSON.stringify(name)}]: values[${i}]`).join(', ')}};`) as RowBuilder;
}

/**
 * What SQLite spends building one value of a result, µs (a 101-row, 14-column page: ~210 µs in all).
 * A reader builds them too, and then the main thread parses them again from its JSON (about a third
 * of that), so moving a read saves the main thread its other work and costs the machine its values
 * twice over.
 */
const VALUE_MICROS = 0.15;
/**
 * A read is costly, worth a reader while others wait for the main thread, once SQLite's other work in it
 * (searching, not building values) is above this many µs and above the building: a read of a few matches
 * found among many rows. It is cheap again once that falls below half of either, so it does not flip at
 * every run. The time is wall time where it ran: a reader sharing its core under load times a read slower
 * (B4: the 40-row tag catalogue of a page counts as costly there), so a read that went to the readers
 * under load tends to stay there until the load ends.
 */
const SHARED_READ_MICROS = 150;

/** A prepared statement with what the driver learns about it. */
class Statement {
  /** a read that a reader thread may answer: it writes nothing and sets no connection state */
  readonly shareable: boolean;
  /** its time and result values lately (moving averages; 0 until it has run) */
  #micros = 0;
  #values = 0;
  #costly = false;
  #build: RowBuilder | undefined;

  constructor(readonly statement: Database.Statement) {
    this.shareable = statement.reader && statement.readonly && !/^\s*pragma\b/i.test(statement.source);
    // raw rows, made into objects by rowBuilder: see there
    if (statement.reader) statement.raw(true);
  }

  /** whether it is worth a reader thread while others wait for the main one (SqliteFile.execute), from what it has cost lately */
  get costly(): boolean {
    return this.#costly;
  }

  rows(raw: unknown[][]): Record<string, unknown>[] {
    return raw.map(this.#builder());
  }

  #builder(): RowBuilder {
    return (this.#build ??= rowBuilder(this.statement.columns().map((column) => column.name)));
  }

  learn(micros: number, rows: readonly unknown[][]): void {
    const values = rows.length * (rows[0]?.length ?? 0);
    this.#micros = this.#micros === 0 ? micros : this.#micros * 0.8 + micros * 0.2;
    this.#values = this.#values === 0 ? values : this.#values * 0.8 + values * 0.2;
    const building = this.#values * VALUE_MICROS;
    const searching = this.#micros - building;
    const bar = Math.max(SHARED_READ_MICROS, building);
    this.#costly = searching > (this.#costly ? bar / 2 : bar);
  }

  /** runs it here, on the main connection */
  run(parameters: readonly unknown[]): QueryResult<unknown> {
    if (this.statement.reader) {
      const started = performance.now();
      const raw = this.statement.all(bindable(parameters)) as unknown[][];
      this.learn((performance.now() - started) * 1000, raw);
      return { rows: this.rows(raw) };
    }
    const { changes, lastInsertRowid } = this.statement.run(bindable(parameters));
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<Record<string, unknown>> {
    const build = this.#builder();
    for (const values of this.statement.iterate(bindable(parameters)) as IterableIterator<unknown[]>) yield build(values);
  }
}

const STATEMENT_CACHE_SIZE = 500;
/** statements that can change a table's columns, after which cached row builders are stale */
const SCHEMA_CHANGE = /^\s*(create|alter|drop)\b/i;

/** One caller at a time on the main connection; a transaction holds it across awaits. */
class Mutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  get locked(): boolean {
    return this.#held !== undefined;
  }

  async lock(): Promise<void> {
    while (this.#held) await this.#held;
    this.#held = new Promise((resolve) => (this.#release = resolve));
  }

  unlock(): void {
    const release = this.#release;
    this.#held = this.#release = undefined;
    release?.();
  }
}

/**
 * The one SQLite file of an app: a main connection for writes and transactions, and, for a file on
 * disk, the process's reader threads for reads outside transactions (a WAL database serves both at
 * once). A read sees everything committed before it was issued, as on the main connection.
 */
class SqliteFile {
  readonly mutex = new Mutex();
  readonly #statements = new Map<string, Statement>();

  constructor(
    readonly sqlite: Database.Database,
    readonly file: string,
    readonly readers: SqliteReaders | undefined,
    readonly soleCaller: () => boolean = () => false,
  ) {}

  /**
   * better-sqlite3 compiles a statement on every prepare(); Kysely prepares per query. Caching by SQL text
   * makes repeated queries skip the compile. A schema change empties the cache: a cached `select *` would
   * otherwise keep building its old columns (readers need not: SQLite prepares their statements anew and
   * they send raw values, which this side builds).
   */
  prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement) {
      this.#statements.delete(sql);
    } else {
      // Schema changes are never cached, so only a miss can be one: a hit costs no pattern test.
      if (SCHEMA_CHANGE.test(sql)) {
        this.#statements.clear();
        return new Statement(this.sqlite.prepare(sql));
      }
      statement = new Statement(this.sqlite.prepare(sql));
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  /**
   * A statement outside any transaction. A read goes to a reader when a transaction holds the main
   * connection (it reads what is committed instead of waiting), or when it is costly and others wait
   * for this thread; anything else runs here, in its turn, and so does a read no reader could run.
   * A lone caller's costly read stays here: nothing waits behind it, and the trip to a reader and back
   * would only add its cost (B4's requests one at a time: about 30 % more time and CPU each).
   */
  async execute(sql: string, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    const statement = this.prepare(sql);
    const free = () => !this.mutex.locked && !this.sqlite.inTransaction;
    const alone = () => this.readers?.idle === true && this.soleCaller();
    if (this.readers && statement.shareable && (!free() || (statement.costly && !alone()))) {
      try {
        const { rows, micros } = await this.readers.read(this.file, sql, bindable(parameters));
        statement.learn(micros, rows);
        return { rows: statement.rows(rows) };
      } catch (err) {
        if (!(err instanceof ReaderUnavailableError)) throw err;
      }
    }
    // nothing can interleave with one synchronous statement, so a free connection needs no lock
    if (free()) return statement.run(parameters);
    await this.mutex.lock();
    try {
      return statement.run(parameters);
    } finally {
      this.mutex.unlock();
    }
  }

  close(): void {
    this.readers?.close(this.file);
    this.sqlite.close();
  }
}

/** Kysely's view of a SqliteFile: one per acquisition, holding the main connection while in a transaction. */
class SqliteConnection implements DatabaseConnection {
  holdsMain = false;

  constructor(readonly file: SqliteFile) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.holdsMain) return this.file.prepare(compiled.sql).run(compiled.parameters) as QueryResult<R>;
    return (await this.file.execute(compiled.sql, compiled.parameters)) as QueryResult<R>;
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.file.prepare(compiled.sql);
    if (!statement.statement.reader) throw new Error('SQLite streams only statements that return rows');
    const lock = !this.holdsMain;
    if (lock) await this.file.mutex.lock();
    try {
      for (const row of statement.iterate(compiled.parameters)) yield { rows: [row as R] };
    } finally {
      if (lock) this.file.mutex.unlock();
    }
  }
}

class SqliteDriver implements Driver {
  constructor(readonly file: SqliteFile) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnection(this.file);
  }

  async beginTransaction(connection: SqliteConnection): Promise<void> {
    await this.file.mutex.lock();
    connection.holdsMain = true;
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: SqliteConnection): Promise<void> {
    // A failed commit leaves the transaction open; Kysely then rolls back, which lets go of the connection.
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.#release(connection);
  }

  async rollbackTransaction(connection: SqliteConnection): Promise<void> {
    if (!connection.holdsMain) return;
    try {
      if (this.file.sqlite.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.#release(connection);
    }
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.file.close();
  }

  #release(connection: SqliteConnection): void {
    connection.holdsMain = false;
    this.file.mutex.unlock();
  }
}

class BurrowSqliteDialect extends SqliteDialect {
  constructor(readonly file: SqliteFile) {
    super({ database: file.sqlite });
  }

  override createDriver(): Driver {
    return new SqliteDriver(this.file);
  }
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

/** reader pools by size: one per process, shared by every app's file */
const readerPools = new Map<number, SqliteReaders>();

/** readers for a file on disk; `readers` threads at most, none for an in-memory database or 0 */
function readersFor(file: string, readers: number): SqliteReaders | undefined {
  if (file === ':memory:' || readers === 0) return undefined;
  let pool = readerPools.get(readers);
  if (!pool) readerPools.set(readers, (pool = new SqliteReaders(readers)));
  return pool;
}

/** one reader thread per core, up to 4 (more readers than cores only queue); none on a single core */
const defaultSqliteReaders = (): number => {
  const cores = os.availableParallelism();
  return cores > 1 ? Math.min(cores, 4) : 0;
};

/**
 * `readers`: reader threads for reads outside transactions (0: every statement on the main thread).
 * `soleCaller`: whether one caller alone is using the process now (HttpCore.soleCaller for a server),
 * when its costly reads stay on the main thread; by default they go to the readers.
 */
export function openSqlite(appId: string, dataDir: string, readers = defaultSqliteReaders(), soleCaller?: () => boolean): AppDatabase {
  const file = dataDir === ':memory:' ? ':memory:' : path.resolve(dataDir, `${appId}.db`);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const connection = new SqliteFile(sqlite, file, readersFor(file, readers), soleCaller);
  const db = new Kysely({ dialect: new BurrowSqliteDialect(connection) });
  return {
    appId,
    db,
    dialect: sqliteHelpers,
    file,
    transaction: (fn) => db.transaction().execute(fn),
    executeCompiled: <R>(sql: string, parameters: readonly unknown[]) => connection.execute(sql, parameters) as Promise<QueryResult<R>>,
    async ping() {
      sqlite.prepare('select 1').get();
    },
    async close() {
      await db.destroy();
    },
  };
}
