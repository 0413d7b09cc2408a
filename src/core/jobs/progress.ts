/** Persist when progress moved this many points… */
const MIN_STEP = 2;
/** …or when the last write is this old. */
const MAX_SILENCE_MS = 2_000;

export interface ProgressUpdate {
  progress: number;
  /** undefined leaves the stored value as it is */
  message?: string | null;
  data?: unknown;
}

/**
 * Turns a handler's progress calls into few writes: a write when progress moved enough, when enough
 * time passed, at 0 and 100, or when forced; an update held back is written within MAX_SILENCE_MS.
 * Writes happen one after another, each carrying everything reported since the previous one.
 */
export class ProgressThrottle {
  readonly #write: (update: ProgressUpdate) => Promise<void>;
  #persisted: { progress: number; at: number };
  #held: ProgressUpdate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  /** `write` must not reject: it reports its own failures */
  constructor(write: (update: ProgressUpdate) => Promise<void>, initialProgress: number) {
    this.#write = write;
    this.#persisted = { progress: initialProgress, at: Date.now() };
  }

  report(update: ProgressUpdate, force = false): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const progress = Math.min(100, Math.max(0, Math.round(update.progress)));
    this.#held = {
      progress,
      message: update.message !== undefined ? update.message : this.#held?.message,
      data: update.data !== undefined ? update.data : this.#held?.data,
    };
    const due =
      force ||
      progress === 0 ||
      progress === 100 ||
      Math.abs(progress - this.#persisted.progress) >= MIN_STEP ||
      Date.now() - this.#persisted.at >= MAX_SILENCE_MS;
    if (due) return this.#flush();
    this.#timer ??= setTimeout(() => void this.#flush(), this.#persisted.at + MAX_SILENCE_MS - Date.now());
    return Promise.resolve();
  }

  /**
   * Drops anything held back and writes nothing more (the job has finished); resolves once writes
   * already under way are done, so the job's end is recorded after them.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#held = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#writes;
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const update = this.#held;
    this.#held = undefined;
    if (update) {
      this.#persisted = { progress: update.progress, at: Date.now() };
      this.#writes = this.#writes.then(() => this.#write(update));
    }
    return this.#writes;
  }
}
