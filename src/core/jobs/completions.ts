/** Completions per statement, well under every dialect's parameter limit. */
const MAX_BATCH = 500;

interface PendingCompletion {
  id: string;
  result: string;
  resolve: (completedAt: number | undefined) => void;
  reject: (err: unknown) => void;
}

/** One write: the ids it completed, stamped with `at`. */
export type CompletionWrite = (results: Array<{ id: string; result: string }>) => Promise<{ completed: ReadonlySet<string>; at: number }>;

/**
 * Records job completions in as few statements as possible: completions reported in one event-loop
 * turn are written together at the end of it, and those that arrive while a write is in flight go
 * together in the next one. Short jobs finishing together then cost one statement, not one each.
 * A completion's promise settles only once its write has committed.
 */
export class CompletionBatcher {
  readonly #write: CompletionWrite;
  #queue: PendingCompletion[] = [];
  #writing = false;

  constructor(write: CompletionWrite) {
    this.#write = write;
  }

  /** Resolves with the completion time, or undefined when the job was no longer this process's to complete. */
  complete(id: string, result: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id, result, resolve, reject });
      if (this.#writing) return;
      this.#writing = true;
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        const { completed, at } = await this.#write(batch.map(({ id, result }) => ({ id, result })));
        for (const item of batch) item.resolve(completed.has(item.id) ? at : undefined);
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
    this.#writing = false;
  }
}
