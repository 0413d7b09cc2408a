import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCache } from '../../../src/apps/squirrel/live/cache.ts';
import { testRedisUrl } from '../../helpers/db.ts';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

describe('squirrel live values and health (spec §3.2, §3.7, §12 items 25, 27, 28, 70)', () => {
  const cache = createMemoryCache();
  let sq: SquirrelHarness;
  before(async () => {
    sq = await startSquirrel({}, undefined, { cache });
    await cache.write(
      new Map([
        ['LIVE:A', { value: 42.5, connected: true, updated_at: 1768473000.123, status: 'NO_ALARM', status_code: 0, severity: 0, units: 'kG' }],
        ['LIVE:B', { value: null, connected: false, updated_at: 1768473000.5, error: 'Disconnected from IOC' }],
      ]),
    );
  });
  after(() => sq.dispose());

  it('§12.27 GET and POST /v1/pvs/live return entries for cached names only; POST needs only read access', async () => {
    const get = (await sq.call('GET', '/v1/pvs/live?pv_names=LIVE:A,LIVE:X&pv_names=LIVE:B')).json();
    assert.deepEqual(Object.keys(get), ['LIVE:A', 'LIVE:B']);
    assert.equal(get['LIVE:A'].value, 42.5);
    const readOnly = await sq.keyWith(true, false);
    const post = await sq.call('POST', '/v1/pvs/live', { pvNames: ['LIVE:B', 'LIVE:Y'] }, readOnly);
    assert.equal(post.statusCode, 200);
    assert.deepEqual(post.json(), { 'LIVE:B': { value: null, connected: false, updated_at: 1768473000.5, error: 'Disconnected from IOC' } });
    assert.deepEqual((await sq.call('GET', '/v1/pvs/live/all')).json().count, 2);
  });

  it('§12.28 /v1/pvs/cache/status answers 200 with the backend', async () => {
    assert.deepEqual((await sq.call('GET', '/v1/pvs/cache/status')).json(), { cached_pv_count: 2, status: 'connected', backend: 'memory', error: null });
  });

  it('§12.25 search with include_live_values includes the cached setpoint and readback entries', async () => {
    await sq.call('POST', '/v1/pvs', { setpoint_address: 'LIVE:A', readback_address: 'LIVE:Z' });
    const res = (await sq.call('GET', '/v1/pvs/search?q=live&include_live_values=true')).json();
    assert.deepEqual(Object.keys(res.live_values), ['LIVE:A']);
    assert.equal(res.live_values_error, null);
  });

  it('§12.70 /v1/health/db reports the dialect; /v1/health/redis is disabled without Redis; /v1/health stays 200', async () => {
    const db = (await sq.call('GET', '/v1/health/db')).json();
    assert.deepEqual([db.status, db.dialect], ['ok', process.env.DATABASE_URL ? 'postgres' : 'sqlite']);
    const redis = (await sq.call('GET', '/v1/health/redis')).json();
    assert.equal(redis.status, testRedisUrl ? 'ok' : 'disabled');
    const health = await sq.call('GET', '/v1/health');
    assert.equal(health.statusCode, 200);
    assert.deepEqual([health.json().database, health.json().status, health.json().disconnected_pvs], ['ok', 'degraded', 1]);
  });
});
