import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { countDatapoints, eventRowId, seedDatapoints } from './datapoint-seed.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const TOTAL = 200_000;
const CHUNK_ROWS = 5000;
/**
 * Spec §12.121 asks for 200 ms with a million rows (bench figure in the report); this shared,
 * loaded machine only gets a bound that still fails when one transaction holds the whole delete.
 */
const GENEROUS_LATENCY_MS = 1500;

describe('webmacs large deletes (spec §4.8, §12.121)', () => {
  let wm: WebmacsHarness;
  let token: string;

  const createEvent = async (name: string) =>
    (await wm.request({ method: 'POST', url: '/api/v1/events', token, payload: { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 1 } })).json().public_id as string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_DELETE_CHUNK_ROWS: String(CHUNK_ROWS) } });
    token = await wm.adminToken();
  });
  after(() => wm.dispose());

  it('deleting an event with 200k datapoints goes chunk by chunk while ingestion keeps answering', async (t) => {
    const database = wm.server.context('webmacs').database;
    const big = await createEvent('Big');
    const live = await createEvent('Live');
    const bigRowId = (await eventRowId(database, big))!;
    await seedDatapoints(database, bigRowId, TOTAL);
    // the live event's cached series must survive the other event's delete
    await wm.request({ method: 'POST', url: '/api/v1/datapoints', token, payload: { event_public_id: live, value: -1 } });
    await wm.request({ method: 'POST', url: '/api/v1/datapoints/series', token, payload: { event_public_ids: [live, big] } });

    let deleting = true;
    const started = performance.now();
    const deletion = wm.request({ method: 'DELETE', url: `/api/v1/events/${big}`, token }).finally(() => (deleting = false));
    const latencies: number[] = [];
    const remainingSeen: number[] = [];
    while (deleting) {
      const sent = performance.now();
      const res = await wm.request({ method: 'POST', url: '/api/v1/datapoints', token, payload: { event_public_id: live, value: latencies.length } });
      latencies.push(performance.now() - sent);
      assert.equal(res.statusCode, 201);
      remainingSeen.push(await countDatapoints(database, bigRowId));
    }
    const deleteMs = performance.now() - started;
    assert.deepEqual((await deletion).json(), { status: 'success', message: 'Event successfully deleted.' });

    const worst = Math.max(...latencies);
    t.diagnostic(`delete ${deleteMs.toFixed(0)} ms; ${latencies.length} ingests meanwhile, worst ${worst.toFixed(1)} ms; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    assert.ok(latencies.length >= 3, 'ingestion ran during the delete');
    assert.ok(remainingSeen.some((n) => n > 0 && n < TOTAL && n % CHUNK_ROWS === 0), `partial states between chunks were visible: ${remainingSeen.slice(0, 8).join(', ')}…`);
    assert.ok(worst < GENEROUS_LATENCY_MS, `worst ingest latency ${worst.toFixed(0)} ms`);
    assert.equal(await countDatapoints(database, bigRowId), 0);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/events/${big}`, token })).statusCode, 404);
    const liveSeries = (await wm.request({ method: 'POST', url: '/api/v1/datapoints/series', token, payload: { event_public_ids: [live], max_points: 2000 } })).json()[live] as unknown[];
    assert.equal(liveSeries.length, latencies.length + 1);
  });
});
