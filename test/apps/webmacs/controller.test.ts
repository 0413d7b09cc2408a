import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import type { IngestionPipeline } from '../../../src/apps/webmacs/ingestion/pipeline.ts';
import { WebmacsMetrics } from '../../../src/apps/webmacs/metrics.ts';
import { PluginController } from '../../../src/apps/webmacs/plugins/controller.ts';
import { pluginsRepo } from '../../../src/apps/webmacs/plugins/repo.ts';
import { builtinPlugin } from '../../../src/apps/webmacs/plugins/builtin/index.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

type Point = { event_public_id: string; value: number };

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('webmacs built-in controller (spec §4.5)', () => {
  let wm: WebmacsHarness;
  let admin: string;

  before(async () => {
    wm = await startWebmacs({
      env: { WEBMACS_CONTROLLER: 'true', WEBMACS_AUTO_SEED: 'true', WEBMACS_ENV: 'development', WEBMACS_POLL_INTERVAL: '0.2' },
    });
    await wm.server.listen();
    admin = await wm.adminToken();
  });
  after(() => wm.dispose());

  it('§12.97 auto-seed in development creates the Simulated Device instance on an empty database', async () => {
    const list = (await wm.request({ method: 'GET', url: '/api/v1/plugins', token: admin })).json();
    assert.deepEqual(list.data.map((p: { instance_name: string; plugin_id: string }) => [p.instance_name, p.plugin_id]), [['Simulated Device', 'simulated']]);
  });

  it('§12.94 the simulated instance streams its 7 sensor events within range, rounded to 3 decimals', async () => {
    const instance = (await wm.request({ method: 'GET', url: '/api/v1/plugins', token: admin })).json().data[0];
    const sensors = instance.channel_mappings.filter((m: { direction: string }) => m.direction === 'input');
    const latest = await eventually(
      async () => (await wm.request({ method: 'GET', url: '/api/v1/datapoints/latest', token: admin })).json() as Point[],
      (points) => points.length >= 7,
    );
    assert.deepEqual(latest.map((p) => p.event_public_id).sort(), sensors.map((m: { event_public_id: string }) => m.event_public_id).sort());
    const channels = builtinPlugin('simulated')!.channels;
    for (const point of latest) {
      const mapping = sensors.find((m: { event_public_id: string }) => m.event_public_id === point.event_public_id);
      const channel = channels.find((c) => c.id === mapping.channel_id)!;
      assert.ok(point.value >= channel.minValue && point.value <= channel.maxValue, `${channel.id}=${point.value}`);
      assert.equal(Math.round(point.value * 1000) / 1000, point.value);
    }
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/plugins/${instance.public_id}`, token: admin })).json().status, 'demo');
  });

  it('§12.95 a system instance in real mode becomes connected; disabled it becomes inactive', async () => {
    const id = (await wm.request({ method: 'POST', url: '/api/v1/plugins', token: admin, payload: { plugin_id: 'system', instance_name: 'Host', demo_mode: false } })).json().public_id;
    const status = async () => (await wm.request({ method: 'GET', url: `/api/v1/plugins/${id}`, token: admin })).json().status as string;
    assert.equal(await eventually(status, (s) => s === 'connected'), 'connected');
    await wm.request({ method: 'PUT', url: `/api/v1/plugins/${id}`, token: admin, payload: { enabled: false } });
    assert.equal(await eventually(status, (s) => s === 'inactive'), 'inactive');
  });
});

describe('webmacs controller actuators (spec §4.5)', () => {
  let wm: WebmacsHarness;
  after(() => wm.dispose());

  it('§12.96 a new datapoint on the heater_power event becomes exactly one actuator write', async () => {
    wm = await startWebmacs();
    const admin = await wm.adminToken();
    const id = (await wm.request({ method: 'POST', url: '/api/v1/plugins', token: admin, payload: { plugin_id: 'simulated', instance_name: 'Act' } })).json().public_id;
    const heater = (await wm.request({ method: 'GET', url: `/api/v1/plugins/${id}`, token: admin })).json().channel_mappings.find((m: { channel_id: string }) => m.channel_id === 'heater_power');
    const db = wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
    const ingested: number[] = [];
    const pipeline = { ingest: async (items: unknown[]) => ingested.push(items.length) } as unknown as IngestionPipeline;
    const leader = { key: 'test', isLeader: () => true, onChange: () => () => {}, start: async () => {}, stop: async () => {} };
    const { actuatorWrites } = new WebmacsMetrics(new Registry());
    const writes = async () => (await actuatorWrites.get()).values[0]?.value;
    const controller = new PluginController({ repo: pluginsRepo(db), pipeline, leader, logger: pino({ level: 'silent' }), pollIntervalMs: 1000, maxBatchSize: 100, dedup: false, actuatorWrites });
    await controller.tick();
    assert.equal(await writes(), 0, 'no datapoint on the actuator event yet');
    assert.deepEqual(ingested, [7]);
    await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: admin, payload: { value: 150, event_public_id: heater.event_public_id } });
    await controller.tick();
    await controller.tick();
    assert.equal(await writes(), 1);
  });

  it('§12.97 with WEBMACS_CONTROLLER=false no datapoints arrive on their own', async () => {
    const admin = await wm.adminToken();
    await wm.server.startWorkers();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const latest = (await wm.request({ method: 'GET', url: '/api/v1/datapoints/latest', token: admin })).json() as Point[];
    assert.deepEqual(latest.map((p) => p.value), [150]);
  });
});
