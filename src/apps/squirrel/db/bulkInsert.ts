import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';

/** A column written by bulkInsert, with the Postgres array element type its values travel as. */
export interface BulkColumn<Row> {
  name: keyof Row & string;
  pgType: 'text' | 'integer' | 'bigint' | 'double precision' | 'boolean';
}

/** SQLite binds at most 32,766 parameters; 500 rows keeps any of squirrel's tables well inside it. */
const SQLITE_ROWS_PER_STATEMENT = 500;

const statementCache = new Map<string, string>();

function cached(key: string, build: () => string): string {
  let text = statementCache.get(key);
  if (text === undefined) statementCache.set(key, (text = build()));
  return text;
}

function sqliteInsert(table: string, names: readonly string[], rows: number): string {
  return cached(`sqlite:${table}:${names.join(',')}:${rows}`, () => {
    const tuple = `(${names.map(() => '?').join(',')})`;
    return `insert into "${table}" (${names.map((n) => `"${n}"`).join(',')}) values ${Array.from({ length: rows }, () => tuple).join(',')}`;
  });
}

function postgresInsert<Row>(table: string, columns: readonly BulkColumn<Row>[]): string {
  return cached(`pg:${table}:${columns.map((c) => c.name).join(',')}`, () => {
    const arrays = columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(',');
    return `insert into "${table}" (${columns.map((c) => `"${c.name}"`).join(',')}) select * from unnest(${arrays})`;
  });
}

/**
 * The bulk insert path of spec §7: rows bypass the query builder, whose per-value AST and compile cost
 * more than the insert itself at tens of thousands of rows. SQLite: one cached multi-row statement per
 * 500 rows. Postgres: `INSERT … SELECT FROM unnest($1::type[], …)`, one array per column, `batchSize`
 * rows per statement. Runs on whatever `db` is, so callers wrap it in their transaction.
 */
export async function bulkInsert<DB, Row>(db: Kysely<DB>, table: string, columns: readonly BulkColumn<Row>[], rows: readonly Row[], batchSize: number): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const text = postgresInsert(table, columns);
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      await db.executeQuery(CompiledQuery.raw(text, columns.map((c) => batch.map((row) => row[c.name]))));
    }
    return;
  }
  const names = columns.map((c) => c.name);
  for (let start = 0; start < rows.length; start += SQLITE_ROWS_PER_STATEMENT) {
    const end = Math.min(rows.length, start + SQLITE_ROWS_PER_STATEMENT);
    const parameters: unknown[] = [];
    for (let i = start; i < end; i++) {
      for (const name of names) {
        const value = rows[i]![name];
        // SQLite stores booleans as 0/1; converting here spares the driver a second pass over every parameter.
        parameters.push(typeof value === 'boolean' ? Number(value) : value);
      }
    }
    await db.executeQuery(CompiledQuery.raw(sqliteInsert(table, names, end - start), parameters));
  }
}
