import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { eventually, startSquirrel, type SquirrelHarness } from './helpers.ts';

/** every route of spec §3, as OpenAPI paths */
const SPEC_ROUTES: [string, string][] = [
  ['get', '/v1/pvs'], ['post', '/v1/pvs'], ['get', '/v1/pvs/paged'], ['get', '/v1/pvs/{id}'], ['put', '/v1/pvs/{id}'], ['delete', '/v1/pvs/{id}'],
  ['post', '/v1/pvs/multi'], ['get', '/v1/pvs/search'], ['get', '/v1/pvs/devices'], ['get', '/v1/pvs/live'], ['post', '/v1/pvs/live'],
  ['get', '/v1/pvs/live/all'], ['get', '/v1/pvs/cache/status'], ['get', '/v1/pvs/test-epics'],
  ['get', '/v1/snapshots'], ['post', '/v1/snapshots'], ['get', '/v1/snapshots/{id}'], ['put', '/v1/snapshots/{id}'], ['delete', '/v1/snapshots/{id}'],
  ['post', '/v1/snapshots/{id}/restore'], ['get', '/v1/snapshots/{id}/compare/{id2}'], ['get', '/v1/snapshots/{id}/export'],
  ['get', '/v1/tags'], ['post', '/v1/tags'], ['get', '/v1/tags/{id}'], ['put', '/v1/tags/{id}'], ['delete', '/v1/tags/{id}'],
  ['post', '/v1/tags/{id}/tags'], ['put', '/v1/tags/{id}/tags/{tid}'], ['delete', '/v1/tags/{id}/tags/{tid}'], ['post', '/v1/tags/bulk'],
  ['get', '/v1/jobs'], ['get', '/v1/jobs/{id}'], ['post', '/v1/jobs/{id}/cancel'],
  ['get', '/v1/api-keys'], ['post', '/v1/api-keys'], ['delete', '/v1/api-keys/{id}'], ['get', '/v1/api-keys/count'],
  ['get', '/v1/health'], ['get', '/v1/health/db'], ['get', '/v1/health/redis'], ['get', '/v1/health/heartbeat'], ['get', '/v1/health/monitor'],
  ['get', '/v1/health/monitor/status'], ['get', '/v1/health/summary'], ['get', '/v1/health/watchdog'], ['post', '/v1/health/watchdog/check'],
  ['get', '/v1/health/disconnected'], ['get', '/v1/health/stale'], ['get', '/v1/health/circuits'],
  ['post', '/v1/health/circuits/{name}/open'], ['post', '/v1/health/circuits/{name}/close'],
  ['get', '/ws'], ['get', '/v1/ws/pvs'], ['get', '/v1/ws/live'], ['get', '/v1/ws/status'],
];

describe('squirrel OpenAPI, cache fallback and serialised restores (spec §12 items 10, 33, 45)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;

  const waitForJob = (id: string) =>
    eventually(async () => {
      const job = (await sq.call('GET', `/v1/jobs/${id}`)).json();
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status) ? job : undefined;
    }, 10_000, `job ${id} finished`);

  before(async () => {
    ioc = await startTestIoc({ pairs: 1, extra: [{ name: 'SLOW', type: 'double', value: 1, write_delay_ms: 600 }] });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel({ SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5' }, undefined, { epics });
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('§12.10 /openapi/squirrel.json lists every route of §3, and /docs offers it', async () => {
    const paths = (await sq.test.server.fastify.inject({ method: 'GET', url: '/openapi/squirrel.json' })).json().paths as Record<string, Record<string, unknown>>;
    const missing = SPEC_ROUTES.filter(([method, path]) => !paths[path]?.[method]).map(([method, path]) => `${method.toUpperCase()} ${path}`);
    assert.deepEqual(missing, []);
    const initializer = await sq.test.server.fastify.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.match(initializer.body, /\/openapi\/squirrel\.json/);
  });

  it('§12.33 a snapshot with use_cache=true while the monitor is off captures values through direct CA reads', async () => {
    await sq.call('POST', '/v1/pvs', { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB' });
    const summary = (await sq.call('POST', '/v1/snapshots?async=false&use_cache=true', { title: 'cold cache' })).json();
    assert.deepEqual([summary.pv_count, summary.source], [1, 'epics']);
    const value = (await sq.call('GET', `/v1/snapshots/${summary.id}`)).json().values[0];
    assert.deepEqual([value.setpoint_value, value.setpoint.connected, value.readback.connected], [0.1, true, true]);
  });

  it('§12.45 a second restore submitted while one runs stays PENDING until the first finishes', async () => {
    await sq.call('POST', '/v1/pvs', { setpoint_address: 'SLOW' });
    const snapshot = (await sq.call('POST', '/v1/snapshots?async=false&use_cache=false', { title: 'slow' })).json();
    const first = (await sq.call('POST', `/v1/snapshots/${snapshot.id}/restore`)).json().job_id as string;
    await eventually(async () => ((await sq.call('GET', `/v1/jobs/${first}`)).json().status === 'IN_PROGRESS' ? true : undefined), 5000, 'first restore running');
    const second = (await sq.call('POST', `/v1/snapshots/${snapshot.id}/restore`)).json().job_id as string;
    assert.equal((await sq.call('GET', `/v1/jobs/${second}`)).json().status, 'PENDING');
    const firstDone = await waitForJob(first);
    assert.equal(firstDone.status, 'COMPLETED');
    const secondDone = await waitForJob(second);
    assert.equal(secondDone.status, 'COMPLETED');
    assert.ok(Date.parse(secondDone.started_at) >= Date.parse(firstDone.completed_at), `${secondDone.started_at} vs ${firstDone.completed_at}`);
  });
});
