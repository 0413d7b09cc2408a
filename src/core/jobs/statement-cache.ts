/** Distinct statement shapes kept compiled; a process uses a handful (type lists, batch sizes). */
const CACHED_STATEMENTS = 64;

/**
 * Compiled statements by shape, oldest dropped first. Building and compiling a Kysely query costs more
 * than running it on SQLite, so the engine's hot statements are compiled once per shape.
 */
export class StatementCache<S> {
  readonly #entries = new Map<string, S>();

  get(key: string, build: () => S): S {
    let statement = this.#entries.get(key);
    if (!statement) {
      statement = build();
      if (this.#entries.size >= CACHED_STATEMENTS) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, statement);
    }
    return statement;
  }
}
