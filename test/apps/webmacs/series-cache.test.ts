import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testRedisUrl } from '../../helpers/db.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const MINUTE_MS = 60_000;
/** the cached instance's window: longer requests are answered from the database */
const WINDOW_MINUTES = 120;

type Series = Record<string, Array<{ public_id: string; value: number; timestamp: string; experiment_public_id: string | null }>>;

/** The value of one exposed sample (0 when absent). */
function sample(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('webmacs series cache (spec §4.2)', () => {
  /** caches; all writes go through it */
  let cached: WebmacsHarness;
  /** the same data with the cache disabled: every answer comes from the database */
  let uncached: WebmacsHarness;
  let token: string;
  let eventCounter = 0;
  /**
   * Events made before the uncached instance starts: without Redis it never hears of later ones
   * (its event index is per process), so every test takes its events from here.
   */
  const eventPool: string[] = [];
  const EVENT_POOL_SIZE = 80;

  const request = (wm: WebmacsHarness, method: 'GET' | 'POST' | 'DELETE' | 'PUT', url: string, payload?: object) => wm.request({ method, url, token, payload });
  const createEvent = async () =>
    (await request(cached, 'POST', '/api/v1/events', { name: `Cached ${++eventCounter}`, type: 'sensor', unit: 'u', min_value: 0, max_value: 1 })).json().public_id as string;
  const newEvent = () => {
    const eventId = eventPool.shift();
    if (!eventId) throw new Error('event pool exhausted');
    return eventId;
  };
  const post = async (eventId: string, points: Array<{ at: number; value: number }>) => {
    const res = await request(cached, 'POST', '/api/v1/datapoints/batch', { datapoints: points.map((p) => ({ event_public_id: eventId, value: p.value, timestamp: new Date(p.at).toISOString() })) });
    assert.equal(res.statusCode, 201, res.body);
  };
  const series = async (wm: WebmacsHarness, body: object): Promise<Series> => {
    const res = await request(wm, 'POST', '/api/v1/datapoints/series', body);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  /** both instances answer the same request alike; returns the answer */
  const same = async (body: object): Promise<Series> => {
    const [fromCache, fromDatabase] = [await series(cached, body), await series(uncached, body)];
    assert.deepEqual(fromCache, fromDatabase);
    return fromCache;
  };
  const metrics = async () => (await cached.request({ method: 'GET', url: '/metrics' })).body;

  before(async () => {
    cached = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_SERIES_CACHE_WINDOW_MINUTES: String(WINDOW_MINUTES) } });
    token = await cached.adminToken();
    for (let i = 0; i < EVENT_POOL_SIZE; i++) eventPool.push(await createEvent());
    uncached = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_SERIES_CACHE_MAX_POINTS: '0' }, reuse: { dataDir: cached.dataDir, schemas: cached.schemas } });
  });
  after(async () => {
    await uncached.dispose({ keep: true });
    await cached.dispose();
  });

  it('property: cached and uncached answers are identical for stride, lttb and minmax, across fills, late appends and deletes', async () => {
    // Points sit 30 s off whole minutes from the run's start and cuts fall on whole minutes from a
    // moment a few seconds later, so no point is ever close to a cut.
    const offsets = fc.array(fc.record({ minutes: fc.integer({ min: -200, max: 4 }), value: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }), { minLength: 0, maxLength: 80 });
    const query = fc.record({
      minutes: fc.integer({ min: 1, max: 300 }),
      max_points: fc.integer({ min: 10, max: 40 }),
      method: fc.constantFrom('stride', 'lttb', 'minmax'),
    });
    const hitsBefore = sample(await metrics(), 'webmacs_series_cache_requests_total{outcome="hit"}');
    await fc.assert(
      fc.asyncProperty(offsets, offsets, fc.array(fc.nat(), { maxLength: 4 }), fc.array(query, { minLength: 1, maxLength: 4 }), async (early, late, deletions, queries) => {
        const start = Date.now();
        const eventId = newEvent();
        const toPoints = (list: typeof early) => list.map((p) => ({ at: start + p.minutes * MINUTE_MS - 30_000, value: p.value }));
        await post(eventId, toPoints(early));
        await same({ event_public_ids: [eventId], minutes: WINDOW_MINUTES, max_points: 2000 });
        // later batches arrive out of order relative to what is cached
        if (late.length) await post(eventId, toPoints(late));
        const listed = (await request(cached, 'GET', `/api/v1/datapoints?event_public_id=${eventId}&page_size=100`)).json().data as Array<{ public_id: string }>;
        for (const pick of deletions) {
          if (!listed.length) break;
          const [victim] = listed.splice(pick % listed.length, 1);
          assert.equal((await request(cached, 'DELETE', `/api/v1/datapoints/${victim!.public_id}`)).statusCode, 200);
        }
        for (const q of queries) await same({ event_public_ids: [eventId], ...q });
      }),
      { numRuns: 15 },
    );
    assert.ok(sample(await metrics(), 'webmacs_series_cache_requests_total{outcome="hit"}') > hitsBefore, 'the cache answered some of them');
  });

  it('a request longer than the window is answered from the database and fills nothing', async () => {
    const eventId = newEvent();
    await post(eventId, [{ at: Date.now() - (WINDOW_MINUTES + 30) * MINUTE_MS, value: 1 }, { at: Date.now() - MINUTE_MS, value: 2 }]);
    const body = await metrics();
    const answer = await same({ event_public_ids: [eventId], minutes: WINDOW_MINUTES + 60 });
    assert.deepEqual(answer[eventId]!.map((p) => p.value), [1, 2]);
    const afterwards = await metrics();
    assert.equal(sample(afterwards, 'webmacs_series_cache_requests_total{outcome="bypass"}'), sample(body, 'webmacs_series_cache_requests_total{outcome="bypass"}') + 1);
    assert.equal(sample(afterwards, 'webmacs_series_cache_points'), sample(body, 'webmacs_series_cache_points'));
  });

  it('deleting an event or an experiment drops what the cache held of it', async () => {
    const eventId = newEvent();
    const experimentId = (await request(cached, 'POST', '/api/v1/experiments', { name: `Cached run ${eventCounter}` })).json().public_id as string;
    await post(eventId, [{ at: Date.now() - 2 * MINUTE_MS, value: 1 }]);
    await request(cached, 'PUT', `/api/v1/experiments/${experimentId}/stop`);
    await post(eventId, [{ at: Date.now() - MINUTE_MS, value: 2 }]);
    const filled = await same({ event_public_ids: [eventId] });
    assert.deepEqual(filled[eventId]!.map((p) => p.experiment_public_id), [experimentId, null]);

    assert.equal((await request(cached, 'DELETE', `/api/v1/experiments/${experimentId}`)).statusCode, 200);
    assert.deepEqual((await same({ event_public_ids: [eventId] }))[eventId]!.map((p) => p.value), [2]);

    const pointsBefore = sample(await metrics(), 'webmacs_series_cache_points');
    assert.equal((await request(cached, 'DELETE', `/api/v1/events/${eventId}`)).statusCode, 200);
    assert.equal(sample(await metrics(), 'webmacs_series_cache_points'), pointsBefore - 1);
  });

  it('on another instance, appends arrive over the bus and deletes invalidate there too', { skip: !testRedisUrl && 'needs REDIS_URL (the Postgres + Redis pass)' }, async () => {
    const other = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' }, reuse: { dataDir: cached.dataDir, schemas: cached.schemas } });
    try {
      const eventId = newEvent();
      await post(eventId, [{ at: Date.now() - 2 * MINUTE_MS, value: 1 }]);
      const onOther = async () => (await series(other, { event_public_ids: [eventId] }))[eventId]!.map((p) => p.value);
      assert.deepEqual(await onOther(), [1]);
      await post(eventId, [{ at: Date.now() - 3 * MINUTE_MS, value: 0 }]);
      const arrived = async (expected: number[]) => {
        for (let i = 0; i < 100 && JSON.stringify(await onOther()) !== JSON.stringify(expected); i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(await onOther(), expected);
      };
      await arrived([0, 1]);
      const otherMetrics = async () => (await other.request({ method: 'GET', url: '/metrics' })).body;
      assert.equal(sample(await otherMetrics(), 'webmacs_series_cache_requests_total{outcome="fill"}'), 1, 'the second point came by append, not by a new fill');
      const listed = (await request(cached, 'GET', `/api/v1/datapoints?event_public_id=${eventId}`)).json().data as Array<{ public_id: string; value: number }>;
      await request(cached, 'DELETE', `/api/v1/datapoints/${listed.find((p) => p.value === 1)!.public_id}`);
      await arrived([0]);
    } finally {
      await other.dispose({ keep: true });
    }
  });
});
