import type { Compilable, QueryResult } from 'kysely';
import type { AppDatabase } from './types.ts';

const SLOT = '\u0000burrow-param:';

/**
 * A Kysely query built and compiled once, executed many times with new values. Building and compiling
 * a query costs more than running it on SQLite; hot paths (an auth lookup on every request) use this.
 * `build` receives placeholders standing for the named parameters and must use each one as a plain
 * bound value (in `where`, `values`, `set`…), never to shape the SQL itself.
 */
export function prepareQuery<P extends Record<string, unknown>, Row>(
  build: (params: { readonly [K in keyof P]: P[K] }) => Compilable<Row>,
): (database: AppDatabase, params: P) => Promise<QueryResult<Row>> {
  const placeholders = new Proxy({} as { [K in keyof P]: P[K] }, { get: (_target, key) => `${SLOT}${String(key)}` });
  const compiled = build(placeholders).compile();
  const slots = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(SLOT) ? value.slice(SLOT.length) : undefined,
  );
  if (compiled.sql.includes(SLOT)) throw new Error('prepareQuery: a parameter was used to shape the SQL, not as a bound value');
  return (database, params) => {
    const parameters = compiled.parameters.map((value, i) => {
      const slot = slots[i];
      return slot === undefined ? value : params[slot];
    });
    return database.executeCompiled<Row>(compiled.sql, parameters);
  };
}
