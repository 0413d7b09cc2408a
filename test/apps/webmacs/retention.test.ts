import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { DATAPOINT_RETENTION_JOB } from '../../../src/apps/webmacs/cleanup/retention.ts';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 1440 * MINUTE_MS;

describe('webmacs.datapoints.retention job (spec §4.7, §12.124)', () => {
  let wm: WebmacsHarness;
  let db: Kysely<WebmacsDatabase>;
  let token: string;
  const postgres = () => wm.server.context('webmacs').database.dialect.name === 'postgres';

  const request = (method: 'GET' | 'POST', url: string, payload?: object) => wm.request({ method, url, token, payload });
  const post = async (eventId: string, ages: number[]) => {
    const now = Date.now();
    const res = await request('POST', '/api/v1/datapoints/batch', { datapoints: ages.map((age, i) => ({ event_public_id: eventId, value: i, timestamp: new Date(now - age).toISOString() })) });
    assert.equal(res.json().accepted, ages.length);
  };
  const seriesLength = async (eventId: string) => ((await request('POST', '/api/v1/datapoints/series', { event_public_ids: [eventId], minutes: 14_400, max_points: 2000 })).json()[eventId] as unknown[]).length;
  const storedCount = async (eventId: string) => (await request('GET', `/api/v1/datapoints?event_public_id=${eventId}&page_size=1`)).json().total as number;

  before(async () => {
    wm = await startWebmacs({
      env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_RETENTION_DAYS: '1', WEBMACS_DELETE_CHUNK_ROWS: '100', WEBMACS_SERIES_CACHE_WINDOW_MINUTES: '14400' },
    });
    db = wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
    token = await wm.adminToken();
    await wm.server.startWorkers();
  });
  after(() => wm.dispose());

  it('is scheduled daily at 03:30 UTC when a retention is set, and not at all by default', async () => {
    const schedule = (await wm.server.context('webmacs').jobs.schedules()).find((s) => s.name === DATAPOINT_RETENTION_JOB);
    assert.deepEqual([schedule?.cron, schedule?.type, schedule?.timezone], ['30 3 * * *', DATAPOINT_RETENTION_JOB, 'UTC']);
    const keepForever = await startWebmacs();
    try {
      assert.equal((await keepForever.server.context('webmacs').jobs.schedules()).find((s) => s.name === DATAPOINT_RETENTION_JOB), undefined);
    } finally {
      await keepForever.dispose();
    }
  });

  it('with WEBMACS_RETENTION_DAYS=1 removes older datapoints only, in chunks, and the series cache forgets them', async () => {
    const create = async (name: string) => (await request('POST', '/api/v1/events', { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 1 })).json().public_id as string;
    const old = await create('Old and new');
    const recent = await create('Only recent');
    if (postgres()) {
      // a partition lying wholly before the cutoff is dropped, not emptied row by row
      const from = (Date.now() - 20 * DAY_MS) * 1000;
      const to = (Date.now() - 10 * DAY_MS) * 1000;
      await sql`create table datapoints_retention_test partition of datapoints for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(db);
    }
    // 250 rows two days old (more than two chunks of 100), one just past a day, one 15 days old; two keep
    await post(old, [...Array.from({ length: 250 }, () => 2 * DAY_MS), DAY_MS + MINUTE_MS, 15 * DAY_MS, DAY_MS - 5 * MINUTE_MS, 0]);
    await post(recent, [DAY_MS - 5 * MINUTE_MS, MINUTE_MS]);
    assert.equal(await seriesLength(old), 253, 'cached before the purge (the last 10 days)');

    const { jobs } = wm.server.context('webmacs');
    const job = await jobs.enqueue(DATAPOINT_RETENTION_JOB, null);
    const deadline = Date.now() + 20_000;
    while ((await jobs.get(job.id))?.status !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.deepEqual(
      (await jobs.get(job.id))?.result,
      postgres() ? { deleted: 251, partitions_dropped: ['datapoints_retention_test'] } : { deleted: 252, partitions_dropped: [] },
    );

    assert.equal(await storedCount(old), 2);
    assert.equal(await seriesLength(old), 2, 'the cache was invalidated');
    assert.equal(await storedCount(recent), 2);
    assert.equal(await seriesLength(recent), 2);
  });

  it('a second pass finds nothing to remove', async () => {
    const { jobs } = wm.server.context('webmacs');
    const job = await jobs.enqueue(DATAPOINT_RETENTION_JOB, null);
    const deadline = Date.now() + 20_000;
    while ((await jobs.get(job.id))?.status !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.deepEqual((await jobs.get(job.id))?.result, { deleted: 0, partitions_dropped: [] });
  });
});
