import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCache } from '../../../src/apps/squirrel/live/cache.ts';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';
import { openSocket } from './wsClient.ts';

/** `name{labels} value` lines of the Prometheus text format, as a map */
async function scrape(sq: SquirrelHarness): Promise<Map<string, number>> {
  const res = await sq.test.server.fastify.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const samples = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    const match = /^(squirrel_\S+) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

describe('squirrel metrics on /metrics (spec §10, last row)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;

  before(async () => {
    ioc = await startTestIoc({ pairs: 2 });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel(
      { SQUIRREL_MONITOR_ENABLED: 'true', SQUIRREL_PV_MONITOR_FLUSH_MS: '20', SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.3', SQUIRREL_EPICS_CA_TIMEOUT: '0.5' },
      undefined,
      { epics },
    );
    await sq.call('POST', '/v1/pvs/multi', [
      { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB' },
      { setpoint_address: 'T:2:SP', readback_address: 'T:2:RB' },
      { setpoint_address: 'NOWHERE:SP' },
    ]);
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('counts registered PVs, cache entries, connected addresses and monitor events', async () => {
    const samples = await eventually(async () => {
      const found = await scrape(sq);
      return found.get('squirrel_cache_entries') === 5 ? found : undefined;
    }, 5000, 'all five addresses cached');
    assert.equal(samples.get('squirrel_pvs_total'), 3);
    // NOWHERE:SP never connects: cached, but as disconnected
    assert.equal(samples.get('squirrel_pvs_connected'), 4);
    assert.ok(samples.get('squirrel_monitor_updates_total')! >= 5, `monitor updates ${samples.get('squirrel_monitor_updates_total')}`);
    ioc.ioc.set('T:1:SP', 7.5);
    const before = samples.get('squirrel_monitor_updates_total')!;
    await eventually(async () => ((await scrape(sq)).get('squirrel_monitor_updates_total')! > before ? true : undefined), 3000, 'the update counted');
  });

  it('counts circuit breakers by state: a failed read creates a closed one, a forced open moves it', async () => {
    const read = (await sq.call('GET', '/v1/pvs/test-epics?pv=NOWHERE:X')).json();
    assert.equal(read.connected, false);
    let samples = await scrape(sq);
    assert.deepEqual(
      [samples.get('squirrel_ca_circuits{state="CLOSED"}'), samples.get('squirrel_ca_circuits{state="OPEN"}'), samples.get('squirrel_ca_circuits{state="HALF_OPEN"}')],
      [1, 0, 0],
    );
    assert.equal((await sq.call('POST', '/v1/health/circuits/NOWHERE/open')).statusCode, 200);
    samples = await scrape(sq);
    assert.deepEqual([samples.get('squirrel_ca_circuits{state="CLOSED"}'), samples.get('squirrel_ca_circuits{state="OPEN"}')], [0, 1]);
  });

  it('observes the run time of finished jobs by type and final status', async () => {
    const created = await sq.call('POST', '/v1/snapshots', { title: 'metrics snapshot' });
    assert.equal(created.statusCode, 200);
    const jobId = created.json().job_id as string;
    await eventually(async () => ((await sq.call('GET', `/v1/jobs/${jobId}`)).json().status === 'COMPLETED' ? true : undefined), 10_000, 'snapshot job completed');
    const samples = await eventually(async () => {
      const found = await scrape(sq);
      return found.get('squirrel_job_duration_seconds_count{type="CREATE_SNAPSHOT",status="COMPLETED"}') === 1 ? found : undefined;
    }, 3000, 'the job observed');
    const seconds = samples.get('squirrel_job_duration_seconds_sum{type="CREATE_SNAPSHOT",status="COMPLETED"}')!;
    assert.ok(seconds > 0 && seconds < 10, `job seconds ${seconds}`);
    assert.equal(samples.get('squirrel_job_duration_seconds_bucket{le="600",type="CREATE_SNAPSHOT",status="COMPLETED"}'), 1);
  });
});

describe('squirrel WebSocket metrics (spec §10, §3.8 close 1013)', () => {
  const cache = createMemoryCache();
  let sq: SquirrelHarness;

  before(async () => {
    sq = await startSquirrel(
      { SQUIRREL_WEBSOCKET_BATCH_INTERVAL_MS: '10', SQUIRREL_WS_MAX_BUFFERED_BYTES: '65536', SQUIRREL_WS_SLOW_CONSUMER_TIMEOUT_S: '0.2' },
      undefined,
      { cache },
    );
  });
  after(() => sq.dispose());

  it('counts open clients, and a client that stops reading is dropped and counted once', async () => {
    const base = (await sq.test.server.listen()).replace(/^http/, 'ws');
    const reader = await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': sq.adminKey });
    const stalled = await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': sq.adminKey });
    await openSocket(`${base}/v1/ws/pvs`, { 'x-api-key': 'sq_not_a_key_at_all_00000' }).then((bad) => bad.closed);
    stalled.send({ type: 'subscribe', pvNames: ['BIG:1'] });
    reader.send({ type: 'subscribe', pvNames: ['BIG:1'] });
    reader.send({ type: 'ping' });
    await reader.next((message) => message.type === 'pong');
    await eventually(async () => ((await scrape(sq)).get('squirrel_ws_clients') === 2 ? true : undefined), 2000, 'two clients with a good key');
    assert.equal((await scrape(sq)).get('squirrel_ws_dropped_total'), 0);

    // the stalled client reads nothing, so the kernel buffers fill and then the server's send buffer
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // each diff stays under the channel's hard stop (2 × the limit), so only the slow-consumer rule applies
    const big = 'x'.repeat(48 * 1024);
    const pump = setInterval(() => void cache.write(new Map([['BIG:1', { value: `${big}${Date.now()}`, connected: true, updated_at: Date.now() / 1000 }]])), 2);
    try {
      await eventually(async () => ((await scrape(sq)).get('squirrel_ws_dropped_total') === 1 ? true : undefined), 20_000, 'the stalled client dropped');
    } finally {
      clearInterval(pump);
      // paused, it would never read the server's close
      stalled.ws.terminate();
    }
    const samples = await scrape(sq);
    // the reader got the same diffs and kept up: still connected
    assert.equal(samples.get('squirrel_ws_clients'), 1);
    reader.send({ type: 'ping' });
    assert.equal((await reader.next((message) => message.type === 'pong')).type, 'pong');
  });
});
