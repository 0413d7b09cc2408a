/** One name waiting to be found, identified by the channel's client id. */
export interface PendingSearch {
  readonly cid: number;
  readonly name: string;
}

export interface SearchSchedulerOptions {
  /** sends one datagram's worth of searches (VERSION + SEARCH requests) to every destination */
  send(batch: readonly PendingSearch[]): void;
  maxSearchPeriodMs: number;
  /** spec §5.3: a tick every 10 ms sends at most 8 datagrams of at most 1,400 bytes */
  tickMs?: number;
  datagramsPerTick?: number;
  maxDatagramBytes?: number;
  /** the first retry waits this long, then each retry doubles the wait up to maxSearchPeriodMs */
  firstRetryMs?: number;
  now?: () => number;
}

interface Entry extends PendingSearch {
  attempts: number;
  dueAt: number;
  /** insertion order, so names due at the same time go out first come, first served */
  order: number;
}

const HEADER_BYTES = 16;

/** Bytes a SEARCH request for `name` takes in a datagram: header plus the NUL-terminated name padded to 8. */
export function searchRequestBytes(name: string): number {
  return HEADER_BYTES + ((Buffer.byteLength(name) + 1 + 7) & ~7);
}

/**
 * Paces UDP name searches: names due for a search are packed into as few datagrams as fit, a bounded
 * number of datagrams leaves per tick, and each name backs off exponentially until it is found.
 */
export class SearchScheduler {
  readonly #options: Required<SearchSchedulerOptions>;
  readonly #byCid = new Map<number, Entry>();
  readonly #heap: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #lastTickAt = -Infinity;
  #order = 0;
  #closed = false;

  constructor(options: SearchSchedulerOptions) {
    this.#options = {
      tickMs: 10,
      datagramsPerTick: 8,
      maxDatagramBytes: 1400,
      firstRetryMs: 50,
      now: () => performance.now(),
      ...options,
    };
  }

  get size(): number {
    return this.#byCid.size;
  }

  /**
   * Queues a name (a name already queued keeps its place): searched at once, or, when `attempts`
   * earlier rounds already failed, after the backoff those rounds earned.
   */
  add(cid: number, name: string, attempts = 0): void {
    if (this.#closed || this.#byCid.has(cid)) return;
    const dueAt = this.#options.now() + (attempts > 0 ? this.#retryDelay(attempts) : 0);
    const entry: Entry = { cid, name, attempts, dueAt, order: this.#order++ };
    this.#byCid.set(cid, entry);
    this.#push(entry);
    this.#schedule();
  }

  /** stops searching for a name: it was found, or its channel was closed */
  remove(cid: number): void {
    // the heap entry is dropped lazily when it reaches the top, keeping removal O(1) for bulk replies
    this.#byCid.delete(cid);
  }

  /** a beacon anomaly (new or restarted server) makes every unresolved name due again at the fastest step */
  resetBackoff(): void {
    const now = this.#options.now();
    this.#heap.length = 0;
    for (const entry of this.#byCid.values()) {
      entry.attempts = 0;
      entry.dueAt = now;
      this.#heap.push(entry);
    }
    this.#heap.sort(compare);
    this.#clearTimer();
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#clearTimer();
    this.#byCid.clear();
    this.#heap.length = 0;
  }

  #tick(): void {
    const { maxDatagramBytes, datagramsPerTick, send } = this.#options;
    const now = this.#options.now();
    this.#lastTickAt = now;
    let batch: Entry[] = [];
    let bytes = HEADER_BYTES;
    let datagrams = 0;
    while (datagrams < datagramsPerTick && this.#heap.length && this.#heap[0]!.dueAt <= now) {
      const entry = this.#heap[0]!;
      if (this.#byCid.get(entry.cid) !== entry) {
        this.#pop();
        continue;
      }
      const entryBytes = searchRequestBytes(entry.name);
      if (batch.length && bytes + entryBytes > maxDatagramBytes) {
        send(batch);
        datagrams++;
        batch = [];
        bytes = HEADER_BYTES;
        continue;
      }
      this.#pop();
      entry.attempts++;
      entry.dueAt = now + this.#retryDelay(entry.attempts);
      entry.order = this.#order++;
      this.#push(entry);
      batch.push(entry);
      bytes += entryBytes;
    }
    if (batch.length) send(batch);
    this.#schedule();
  }

  #retryDelay(attempts: number): number {
    const { firstRetryMs, maxSearchPeriodMs } = this.#options;
    return Math.min(firstRetryMs * 2 ** Math.min(attempts - 1, 30), maxSearchPeriodMs);
  }

  #schedule(): void {
    if (this.#closed || !this.#heap.length) return;
    const at = Math.max(this.#heap[0]!.dueAt, this.#lastTickAt + this.#options.tickMs);
    if (this.#timer && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#tick();
    }, Math.max(0, at - this.#options.now()));
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[parent]!, heap[i]!) <= 0) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (!heap.length) return;
    heap[0] = last;
    this.#siftDown(0);
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && compare(heap[left]!, heap[smallest]!) < 0) smallest = left;
      if (right < heap.length && compare(heap[right]!, heap[smallest]!) < 0) smallest = right;
      if (smallest === i) return;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
}

function compare(a: Entry, b: Entry): number {
  return a.dueAt - b.dueAt || a.order - b.order;
}
