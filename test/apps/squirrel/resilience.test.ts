import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSquirrel } from './helpers.ts';

// nothing listens on port 1: every command fails once ioredis gives up its retries
const DEAD_REDIS = { SQUIRREL_REDIS_URL: 'redis://127.0.0.1:1' };

describe('squirrel with its Redis down (spec §8)', () => {
  it('§12.27 with Redis configured but unreachable, live reads are 500 live_values_fetch_failed and the rest degrades', async () => {
    const sq = await startSquirrel(DEAD_REDIS);
    try {
      const live = await sq.call('GET', '/v1/pvs/live?pv_names=A:B');
      assert.deepEqual([live.statusCode, live.json().code], [500, 'live_values_fetch_failed']);
      assert.equal((await sq.call('GET', '/v1/pvs/live/all')).json().code, 'live_values_fetch_failed');
      const status = (await sq.call('GET', '/v1/pvs/cache/status')).json();
      assert.deepEqual([status.status, status.backend, status.cached_pv_count, typeof status.error], ['disconnected', 'redis', 0, 'string']);
      await sq.call('POST', '/v1/pvs', { setpoint_address: 'A:B' });
      const search = await sq.call('GET', '/v1/pvs/search?include_live_values=true');
      assert.deepEqual([search.statusCode, typeof search.json().live_values_error], [200, 'string']);
      const disconnected = await sq.call('GET', '/v1/health/disconnected');
      assert.deepEqual([disconnected.statusCode, disconnected.json().code], [503, 'disconnected_pvs_fetch_failed']);
      const stale = await sq.call('GET', '/v1/health/stale');
      assert.deepEqual([stale.statusCode, stale.json().code], [503, 'stale_pvs_fetch_failed']);
      const monitor = (await sq.call('GET', '/v1/health/monitor/status')).json();
      assert.equal(monitor.status, 'unknown');
      assert.equal((await sq.call('GET', '/v1/health/summary')).json().status, 'unhealthy');
    } finally {
      await sq.dispose();
    }
  });
});
