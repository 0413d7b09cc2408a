import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeriesCache, type CachedPoint, type SeriesColumns, type WindowRow } from '../../../../src/apps/webmacs/datapoints/series-cache.ts';

const MINUTE = 60_000_000;
const NOW = 1_000_000 * MINUTE;

type StoredRow = WindowRow & { id: number; ts: number };

/** A stored table the cache fills from, standing in for one event's datapoints. */
function store(rows: StoredRow[] = []) {
  const table = [...rows];
  let loads = 0;
  let gate: Promise<void> | undefined;
  return {
    table,
    get loads() {
      return loads;
    },
    /** holds every fill until the returned function is called */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    async loadWindow(_eventId: number, fromTs: number): Promise<WindowRow[]> {
      loads++;
      const snapshot = table.filter((row) => row.ts >= fromTs).sort((a, b) => a.ts - b.ts || a.id - b.id);
      await gate;
      return snapshot;
    },
  };
}

const row = (id: number, ts: number, value = id): StoredRow => ({ id, ts, value, experiment_id: null, experiment_public_id: null });
const point = (eventId: number, id: number, ts: number, value = id): CachedPoint => ({ eventId, id, ts, value, experimentId: null, experimentPublicId: null });
const ids = (columns: SeriesColumns | undefined) => Array.from(columns?.id ?? []);

function cache(source: ReturnType<typeof store>, options: { maxPoints?: number; windowMinutes?: number; now?: () => number } = {}) {
  return new SeriesCache({ maxPoints: options.maxPoints ?? 1000, windowMinutes: options.windowMinutes ?? 60, loadWindow: (e, f) => source.loadWindow(e, f), now: options.now ?? (() => NOW) });
}

describe('series cache (spec §4.2)', () => {
  it('fills once per event with one range query, then answers from memory in (timestamp, id) order', async () => {
    const source = store([row(3, NOW - 2 * MINUTE), row(1, NOW - MINUTE), row(2, NOW - MINUTE), row(9, NOW - 90 * MINUTE)]);
    const series = cache(source);
    const first = await series.lookup(7, NOW - 30 * MINUTE);
    assert.equal(first.outcome, 'fill');
    assert.deepEqual(ids(first.columns), [3, 1, 2]);
    const second = await series.lookup(7, NOW - 90 * 1_000_000);
    assert.equal(second.outcome, 'hit');
    assert.deepEqual(ids(second.columns), [1, 2]);
    assert.equal(source.loads, 1);
    assert.equal(series.points, 3);
  });

  it('a cut before the window is the database’s: nothing is filled', async () => {
    const source = store([row(1, NOW - MINUTE)]);
    const series = cache(source, { windowMinutes: 10 });
    assert.deepEqual(await series.lookup(1, NOW - 11 * MINUTE), { columns: undefined, outcome: 'bypass' });
    assert.equal(source.loads, 0);
    await series.lookup(1, NOW - 5 * MINUTE);
    assert.equal((await series.lookup(1, NOW - 11 * MINUTE)).outcome, 'bypass');
  });

  it('max points 0 disables it', async () => {
    const source = store([row(1, NOW)]);
    assert.deepEqual(await cache(source, { maxPoints: 0 }).lookup(1, NOW - MINUTE), { columns: undefined, outcome: 'disabled' });
    assert.equal(source.loads, 0);
  });

  it('appends keep the order (binary insert when late), ignore points before the window and duplicate ids', async () => {
    const series = cache(store([row(10, NOW - 5 * MINUTE)]));
    await series.lookup(1, NOW - 30 * MINUTE);
    series.append([point(1, 11, NOW - MINUTE), point(1, 12, NOW - 10 * MINUTE), point(1, 13, NOW - 61 * MINUTE), point(2, 14, NOW), point(1, 10, NOW - 5 * MINUTE)]);
    assert.deepEqual(ids((await series.lookup(1, NOW - 60 * MINUTE)).columns), [12, 10, 11]);
    assert.equal(series.points, 3);
  });

  it('appends arriving while an entry loads are queued and merged by id', async () => {
    const source = store([row(1, NOW - 3 * MINUTE)]);
    const series = cache(source);
    const release = source.hold();
    const pending = series.lookup(1, NOW - 30 * MINUTE);
    // 1 was committed before the fill's snapshot (the fill sees it too), 3 after it
    series.append([point(1, 3, NOW - 4 * MINUTE), point(1, 1, NOW - 3 * MINUTE)]);
    release();
    assert.deepEqual(ids((await pending).columns), [3, 1]);
    assert.deepEqual(ids((await series.lookup(1, NOW - 30 * MINUTE)).columns), [3, 1]);
    assert.equal(series.points, 2);
  });

  it('an invalidation during a load answers the waiting request but keeps nothing', async () => {
    const source = store([row(1, NOW)]);
    const series = cache(source);
    const release = source.hold();
    const pending = series.lookup(1, NOW - MINUTE);
    series.invalidate([1]);
    release();
    assert.deepEqual(ids((await pending).columns), [1]);
    assert.equal(series.points, 0);
    assert.equal((await series.lookup(1, NOW - MINUTE)).outcome, 'fill');
  });

  it('invalidate drops the named entries or all, and announces them', async () => {
    const announced: Array<readonly number[] | undefined> = [];
    const source = store([row(1, NOW)]);
    const series = new SeriesCache({ maxPoints: 100, windowMinutes: 60, loadWindow: (e, f) => source.loadWindow(e, f), now: () => NOW, announce: (e) => announced.push(e) });
    await series.lookup(1, NOW - MINUTE);
    await series.lookup(2, NOW - MINUTE);
    series.invalidate([1]);
    assert.equal((await series.lookup(2, NOW - MINUTE)).outcome, 'hit');
    assert.equal((await series.lookup(1, NOW - MINUTE)).outcome, 'fill');
    series.invalidate();
    series.drop([2]);
    assert.deepEqual(announced, [[1], undefined]);
    assert.equal(series.points, 0);
  });

  it('trim advances the window each minute and requests before it go to the database', async () => {
    let now = NOW;
    const series = cache(store([row(1, NOW - 50 * MINUTE), row(2, NOW - 5 * MINUTE)]), { now: () => now });
    await series.lookup(1, NOW - 60 * MINUTE);
    now += 20 * MINUTE;
    series.trim();
    assert.equal(series.points, 1);
    assert.deepEqual(ids((await series.lookup(1, now - 60 * MINUTE)).columns), [2]);
    assert.equal((await series.lookup(1, NOW - 60 * MINUTE)).outcome, 'bypass');
  });

  it('evicts the least recently used entries when the total exceeds max points', async () => {
    const source = store([row(1, NOW), row(2, NOW), row(3, NOW)]);
    const series = cache(source, { maxPoints: 7 });
    await series.lookup(1, NOW - MINUTE);
    await series.lookup(2, NOW - MINUTE);
    await series.lookup(1, NOW - MINUTE);
    await series.lookup(3, NOW - MINUTE);
    assert.equal(series.points, 6);
    assert.equal((await series.lookup(1, NOW - MINUTE)).outcome, 'hit');
    assert.equal((await series.lookup(2, NOW - MINUTE)).outcome, 'fill');
    assert.ok(series.points <= 7);
    assert.equal((await series.lookup(3, NOW - MINUTE)).outcome, 'fill', 'least recently used went first');
  });

  it('property: any mix of fill, late appends and trims holds exactly the stored rows at or after from_ts', () => {
    const arbitraryRows = fc.array(fc.record({ ts: fc.integer({ min: 0, max: 120 }), value: fc.double({ noNaN: true }) }), { maxLength: 60 });
    return fc.assert(
      fc.asyncProperty(arbitraryRows, fc.nat({ max: 60 }), fc.nat({ max: 60 }), async (rows, loadedBefore, advance) => {
        let now = 120 * MINUTE;
        const all = rows.map((r, i) => ({ ...row(i + 1, r.ts * MINUTE, r.value) }));
        const source = store(all.slice(0, Math.min(loadedBefore, all.length)));
        const series = cache(source, { now: () => now });
        await series.lookup(1, now - 60 * MINUTE);
        series.append(all.slice(loadedBefore).map((r) => point(1, r.id, r.ts, r.value)));
        now += advance * MINUTE;
        series.trim();
        const from = now - 60 * MINUTE;
        const expected = all.filter((r) => r.ts >= from).sort((a, b) => a.ts - b.ts || a.id - b.id);
        const got = (await series.lookup(1, from)).columns;
        assert.deepEqual(ids(got), expected.map((r) => r.id));
        assert.deepEqual(Array.from(got?.value ?? []), expected.map((r) => r.value));
      }),
      { numRuns: 200 },
    );
  });
});
