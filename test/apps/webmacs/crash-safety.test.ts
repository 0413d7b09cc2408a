import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { openAppDatabase, type AppDatabase } from '../../../src/core/db/index.ts';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { testDatabaseUrl } from '../../helpers/db.ts';
import { startChildServer } from './child-process.ts';
import { countDatapoints, eventRowId, seedDatapoints } from './datapoint-seed.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const ENV = { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' };
const BATCH = 500;

/** A second connection to a (stopped or child-owned) server's database, as another process would open it. */
function openDatabaseOf(harness: WebmacsHarness): Promise<AppDatabase> {
  return openAppDatabase({ appId: 'webmacs', dataDir: harness.dataDir, schema: harness.schemas.get('webmacs'), databaseUrl: testDatabaseUrl });
}

/** A server with one event, stopped so that a child process can take over its data. */
async function preparedData(): Promise<{ setup: WebmacsHarness; token: string; eventId: string }> {
  const setup = await startWebmacs({ env: ENV });
  const token = await setup.adminToken();
  const res = await setup.request({ method: 'POST', url: '/api/v1/events', token, payload: { name: 'Crash', type: 'sensor', unit: 'u', min_value: 0, max_value: 1 } });
  await setup.dispose({ keep: true });
  return { setup, token, eventId: res.json().public_id as string };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('webmacs crash safety (spec §8, §4.8)', () => {
  it('§12.122 killing the server mid-batch never leaves a partial batch', async () => {
    const { setup, token, eventId } = await preparedData();
    const child = await startChildServer(setup, ENV);
    const sent = new Set<number>();
    const acknowledged = new Set<number>();
    let next = 0;
    let killed = false;
    // Four clients keep 500-point batches in flight, each batch's points carrying its number as value.
    const client = async () => {
      while (!killed) {
        const batch = next++;
        sent.add(batch);
        try {
          const res = await fetch(`${child.url}/api/v1/datapoints/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ datapoints: Array.from({ length: BATCH }, () => ({ event_public_id: eventId, value: batch })) }),
          });
          if (res.status === 201) acknowledged.add(batch);
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await waitFor(() => acknowledged.size >= 20, 30_000, '20 stored batches');
    await child.kill();
    killed = true;
    await Promise.all(clients);
    const unanswered = [...sent].filter((batch) => !acknowledged.has(batch));
    assert.ok(unanswered.length >= 1, 'some batches were in flight when the server died');

    const restarted = await startWebmacs({ env: ENV, reuse: setup });
    try {
      const db = restarted.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
      const rows = await db.selectFrom('datapoints').select(['value', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('value').execute();
      const stored = new Map(rows.map((row) => [Number(row.value), Number(row.n)]));
      for (const [batch, count] of stored) assert.equal(count, BATCH, `batch ${batch} is whole`);
      for (const batch of acknowledged) assert.equal(stored.get(batch), BATCH, `acknowledged batch ${batch} is stored`);
    } finally {
      await restarted.dispose();
    }
  });

  it('§12.121 a delete interrupted by a crash removed some datapoints only; repeating it finishes', async () => {
    const TOTAL = 200_000;
    const { setup, token, eventId } = await preparedData();
    let database = await openDatabaseOf(setup);
    const rowId = (await eventRowId(database, eventId))!;
    await seedDatapoints(database, rowId, TOTAL);
    // small chunks so that the kill lands between two of them
    const child = await startChildServer(setup, { ...ENV, WEBMACS_DELETE_CHUNK_ROWS: '1000' });
    const deleting = fetch(`${child.url}/api/v1/events/${eventId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    await waitFor(async () => (await countDatapoints(database, rowId)) < TOTAL, 60_000, 'the first chunk');
    await child.kill();
    assert.equal(await deleting, undefined, 'the DELETE got no answer');
    await database.close();

    database = await openDatabaseOf(setup);
    const remaining = await countDatapoints(database, rowId);
    assert.ok(remaining > 0 && remaining < TOTAL, `some datapoints are gone, not all (${remaining} left)`);
    assert.equal(await eventRowId(database, eventId), rowId, 'the event itself goes last');
    await database.close();

    const restarted = await startWebmacs({ env: ENV, reuse: setup });
    try {
      const again = await restarted.request({ method: 'DELETE', url: `/api/v1/events/${eventId}`, token });
      assert.deepEqual(again.json(), { status: 'success', message: 'Event successfully deleted.' });
      assert.equal((await restarted.request({ method: 'GET', url: `/api/v1/events/${eventId}`, token })).statusCode, 404);
      assert.equal(await countDatapoints(restarted.server.context('webmacs').database, rowId), 0);
    } finally {
      await restarted.dispose();
    }
  });
});
