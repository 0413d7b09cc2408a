import type { Gauge } from 'prom-client';

/** One cached point as ingestion or another instance hands it over. */
export interface CachedPoint {
  eventId: number;
  id: number;
  /** µs */
  ts: number;
  value: number;
  experimentId: number | null;
  experimentPublicId: string | null;
}

/** A fill's rows, ascending (timestamp, id); integers may arrive as strings (Postgres bigint). */
export interface WindowRow {
  id: number | string;
  ts: number | string;
  value: number;
  experiment_id: number | string | null;
  experiment_public_id: string | null;
}

/** A read-only ascending view of one event's points at or after a cut. */
export interface SeriesColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly value: Float64Array;
  readonly id: Float64Array;
  /** NaN for "no experiment" */
  readonly experimentId: Float64Array;
}

const NO_EXPERIMENT = Number.NaN;

/** Growable columnar arrays sorted by (ts, id); the typed arrays are views that grow by doubling. */
class Columns {
  length = 0;
  ts: Float64Array;
  value: Float64Array;
  id: Float64Array;
  experimentId: Float64Array;

  constructor(capacity = 16) {
    this.ts = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.id = new Float64Array(capacity);
    this.experimentId = new Float64Array(capacity);
  }

  /** the first index whose (ts, id) is ≥ the given pair */
  lowerBound(ts: number, id: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const t = this.ts[mid]!;
      if (t < ts || (t === ts && this.id[mid]! < id)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Inserts in order (a plain append when it is the newest); false when the id is already held. */
  insert(ts: number, id: number, value: number, experimentId: number): boolean {
    const last = this.length - 1;
    const newest = last < 0 || this.ts[last]! < ts || (this.ts[last] === ts && this.id[last]! < id);
    const at = newest ? this.length : this.lowerBound(ts, id);
    if (!newest && this.id[at] === id && this.ts[at] === ts) return false;
    if (this.length === this.ts.length) this.grow(Math.max(16, this.length * 2));
    if (at < this.length) {
      for (const column of [this.ts, this.value, this.id, this.experimentId]) column.copyWithin(at + 1, at, this.length);
    }
    this.ts[at] = ts;
    this.value[at] = value;
    this.id[at] = id;
    this.experimentId[at] = experimentId;
    this.length++;
    return true;
  }

  /** Drops every point before `ts`; returns how many went. */
  dropBefore(ts: number): number {
    const cut = this.lowerBound(ts, -Infinity);
    if (cut === 0) return 0;
    for (const column of [this.ts, this.value, this.id, this.experimentId]) column.copyWithin(0, cut, this.length);
    this.length -= cut;
    return cut;
  }

  view(from: number): SeriesColumns {
    const end = this.length;
    return {
      length: end - from,
      ts: this.ts.subarray(from, end),
      value: this.value.subarray(from, end),
      id: this.id.subarray(from, end),
      experimentId: this.experimentId.subarray(from, end),
    };
  }

  private grow(capacity: number): void {
    const grown = (column: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(column.subarray(0, this.length));
      return next;
    };
    this.ts = grown(this.ts);
    this.value = grown(this.value);
    this.id = grown(this.id);
    this.experimentId = grown(this.experimentId);
  }
}

interface Entry {
  /** every stored point with ts ≥ fromTs is held once loaded */
  fromTs: number;
  columns: Columns;
  /** set while the fill query runs; appends arriving meanwhile wait here and are merged by id */
  loading?: Promise<Columns>;
  queued: CachedPoint[];
}

export interface SeriesCacheOptions {
  /** 0 disables the cache */
  maxPoints: number;
  windowMinutes: number;
  /** one ordered range query: the event's rows with ts ≥ fromTs, ascending (timestamp, id) */
  loadWindow(eventId: number, fromTs: number): Promise<WindowRow[]>;
  now(): number;
  /** tells the other instances which entries to drop (bus `invalidate`) */
  announce?(eventIds: readonly number[] | undefined): void;
  pointsGauge?: Gauge;
}

export type SeriesLookup = { columns: SeriesColumns; outcome: 'hit' | 'fill' } | { columns: undefined; outcome: 'bypass' | 'disabled' };

/**
 * The hot window of spec §4.2 (Prometheus head-block style): per event, columnar arrays of every stored
 * point since `from_ts`, filled by the first series request, then kept current by ingestion appends,
 * trimmed as the window advances and evicted least-recently-used beyond `maxPoints` in total.
 * An entry is dropped whenever stored rows disappear (deletes, retention), so it never answers
 * differently from the database.
 */
export class SeriesCache {
  /** Map order is recency: a used entry is moved to the end, eviction takes from the front. */
  private readonly entries = new Map<number, Entry>();
  private readonly experimentPublicIds = new Map<number, string>();
  private totalPoints = 0;

  constructor(private readonly options: SeriesCacheOptions) {}

  get enabled(): boolean {
    return this.options.maxPoints > 0;
  }

  get points(): number {
    return this.totalPoints;
  }

  experimentPublicId(experimentId: number): string | null {
    return Number.isNaN(experimentId) ? null : (this.experimentPublicIds.get(experimentId) ?? null);
  }

  /**
   * The event's points with ts ≥ cut, from memory. A cut before what the entry holds (or before the
   * window a new entry would hold) is the database's to answer, and fills nothing. `now` is the
   * request's, which its cut was taken from.
   */
  async lookup(eventId: number, cut: number, now = this.options.now()): Promise<SeriesLookup> {
    if (!this.enabled) return { columns: undefined, outcome: 'disabled' };
    let entry = this.entries.get(eventId);
    const outcome = entry ? 'hit' : 'fill';
    if (!entry) {
      const fromTs = now - this.options.windowMinutes * 60_000_000;
      if (cut < fromTs) return { columns: undefined, outcome: 'bypass' };
      entry = this.startLoad(eventId, fromTs);
    }
    if (cut < entry.fromTs) return { columns: undefined, outcome: 'bypass' };
    this.touch(eventId, entry);
    const columns = entry.loading ? await entry.loading : entry.columns;
    return { columns: columns.view(columns.lowerBound(cut, -Infinity)), outcome };
  }

  /** Ingestion's committed rows (this instance's or, via the bus, another's). */
  append(points: readonly CachedPoint[]): void {
    let added = 0;
    for (const point of points) {
      const entry = this.entries.get(point.eventId);
      if (!entry || point.ts < entry.fromTs) continue;
      if (point.experimentId !== null && point.experimentPublicId !== null) this.experimentPublicIds.set(point.experimentId, point.experimentPublicId);
      if (entry.loading) entry.queued.push(point);
      else if (entry.columns.insert(point.ts, point.id, point.value, point.experimentId ?? NO_EXPERIMENT)) added++;
    }
    if (added) this.grew(added);
  }

  /** Drops the given events' entries, or all of them, here and on every other instance. */
  invalidate(eventIds?: readonly number[]): void {
    this.drop(eventIds);
    this.options.announce?.(eventIds);
  }

  /** Drops entries on this instance only (another instance's announcement). */
  drop(eventIds?: readonly number[]): void {
    const dropped = eventIds ?? [...this.entries.keys()];
    for (const eventId of dropped) {
      const entry = this.entries.get(eventId);
      if (!entry) continue;
      this.entries.delete(eventId);
      this.totalPoints -= entry.columns.length;
    }
    if (!eventIds) this.experimentPublicIds.clear();
    this.options.pointsGauge?.set(this.totalPoints);
  }

  /** Advances every entry's window to now − window minutes (run each minute). */
  trim(): void {
    const fromTs = this.options.now() - this.options.windowMinutes * 60_000_000;
    for (const entry of this.entries.values()) {
      if (entry.loading || entry.fromTs >= fromTs) continue;
      entry.fromTs = fromTs;
      this.totalPoints -= entry.columns.dropBefore(fromTs);
    }
    this.options.pointsGauge?.set(this.totalPoints);
  }

  private startLoad(eventId: number, fromTs: number): Entry {
    const entry: Entry = { fromTs, columns: new Columns(), queued: [] };
    entry.loading = this.options.loadWindow(eventId, fromTs).then(
      (rows) => {
        const columns = new Columns(Math.max(16, rows.length + entry.queued.length));
        for (const row of rows) {
          const experimentId = row.experiment_id === null ? NO_EXPERIMENT : Number(row.experiment_id);
          if (row.experiment_public_id !== null) this.experimentPublicIds.set(experimentId, row.experiment_public_id);
          columns.insert(Number(row.ts), Number(row.id), row.value, experimentId);
        }
        for (const point of entry.queued) columns.insert(point.ts, point.id, point.value, point.experimentId ?? NO_EXPERIMENT);
        entry.queued = [];
        entry.loading = undefined;
        // An invalidation while loading dropped the entry: the rows answer the waiting callers only.
        if (this.entries.get(eventId) === entry) {
          entry.columns = columns;
          this.grew(columns.length);
        }
        return columns;
      },
      (err: unknown) => {
        if (this.entries.get(eventId) === entry) this.entries.delete(eventId);
        throw err;
      },
    );
    this.entries.set(eventId, entry);
    return entry;
  }

  private touch(eventId: number, entry: Entry): void {
    this.entries.delete(eventId);
    this.entries.set(eventId, entry);
  }

  /** Counts new points and evicts from the least recently used end while over the limit. */
  private grew(added: number): void {
    this.totalPoints += added;
    for (const [eventId, entry] of this.entries) {
      if (this.totalPoints <= this.options.maxPoints) break;
      if (entry.loading) continue;
      this.entries.delete(eventId);
      this.totalPoints -= entry.columns.length;
    }
    this.options.pointsGauge?.set(this.totalPoints);
  }
}
