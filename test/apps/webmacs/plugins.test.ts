import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

type Mapping = { channel_id: string; event_public_id: string | null; public_id: string; direction: string };

describe('webmacs plugin instances and channel mappings (spec §3.13)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let operator: string;
  let viewer: string;

  const post = (url: string, payload: object, token = admin) => wm.request({ method: 'POST', url, token, payload });
  const instance = async (id: string) => (await wm.request({ method: 'GET', url: `/api/v1/plugins/${id}`, token: viewer })).json();

  before(async () => {
    wm = await startWebmacs();
    admin = await wm.adminToken();
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
  });
  after(() => wm.dispose());

  it('§12.83 /plugins/available lists simulated and system with metadata and channels', async () => {
    const res = await wm.request({ method: 'GET', url: '/api/v1/plugins/available', token: viewer });
    const [simulated, system] = res.json();
    assert.deepEqual({ ...simulated, channels: simulated.channels.length }, {
      id: 'simulated',
      name: 'Simulated Device',
      version: '0.2.0',
      vendor: 'WebMACS',
      description: 'Virtual sensors & actuators for testing and demonstration.',
      url: 'https://github.com/stefanposs/webmacs',
      source: 'builtin',
      channels: 9,
    });
    assert.deepEqual(simulated.channels[0], { id: 'temp_reactor', name: 'Temperature Reactor', direction: 'input', unit: '°C', min_value: 20, max_value: 500 });
    assert.equal(system.id, 'system');
    assert.equal(system.description, 'CPU, memory, disk and temperature monitoring.');
  });

  it('§12.84 a system instance creates 7 mappings and 7 events named "<instance> – <channel>"', async () => {
    const res = await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'Lab Server', demo_mode: true });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { status: 'success', message: 'Plugin instance created.', public_id: res.json().public_id });
    assert.match(res.json().public_id, PUBLIC_ID('plg'));
    const body = await instance(res.json().public_id);
    assert.equal(body.status, 'demo');
    assert.equal(body.channel_mappings.length, 7);
    const cpu = body.channel_mappings.find((m: Mapping) => m.channel_id === 'cpu_percent');
    const event = (await wm.request({ method: 'GET', url: `/api/v1/events/${cpu.event_public_id}`, token: viewer })).json();
    assert.deepEqual({ name: event.name, unit: event.unit, type: event.type, min: event.min_value, max: event.max_value }, { name: 'Lab Server – CPU Usage', unit: '%', type: 'sensor', min: 0, max: 100 });
  });

  it('§12.84 a simulated instance creates 9 mappings: 7 sensor and 2 actuator events; it always runs as demo', async () => {
    const id = (await post('/api/v1/plugins', { plugin_id: 'simulated', instance_name: 'Rig', demo_mode: false })).json().public_id;
    const body = await instance(id);
    assert.equal(body.demo_mode, true);
    assert.equal(body.channel_mappings.length, 9);
    const events = (await wm.request({ method: 'GET', url: '/api/v1/events?page_size=100', token: viewer })).json().data.filter((e: { name: string }) => e.name.startsWith('Rig – '));
    assert.deepEqual(
      events.map((e: { type: string }) => e.type).sort(),
      ['actuator', 'actuator', 'sensor', 'sensor', 'sensor', 'sensor', 'sensor', 'sensor', 'sensor'],
    );
  });

  it('§12.85 auto_create_events false leaves mappings unlinked; an existing event with the generated name is reused', async () => {
    const unlinked = (await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'Bare', auto_create_events: false })).json().public_id;
    assert.ok((await instance(unlinked)).channel_mappings.every((m: Mapping) => m.event_public_id === null));
    const existing = (await post('/api/v1/events', { name: 'Reuse – Disk Usage', type: 'sensor', unit: '%', min_value: 0, max_value: 100 }, operator)).json().public_id;
    const reusing = (await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'Reuse' })).json().public_id;
    const disk = (await instance(reusing)).channel_mappings.find((m: Mapping) => m.channel_id === 'disk_percent');
    assert.equal(disk.event_public_id, existing);
  });

  it('§12.86 duplicate name → 409; non-admin → 403; invalid config_json string → 422; unknown plugin → no channels', async () => {
    assert.deepEqual((await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'Lab Server' })).json(), { detail: 'Plugin instance already exists.' });
    assert.equal((await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'X' }, operator)).statusCode, 403);
    const badConfig = await post('/api/v1/plugins', { plugin_id: 'system', instance_name: 'Cfg', config_json: '[1,2]' });
    assert.equal(badConfig.statusCode, 422);
    assert.deepEqual(badConfig.json().detail[0].loc, ['body', 'config_json']);
    const objectConfig = (await post('/api/v1/plugins', { plugin_id: 'revpi', instance_name: 'External', config_json: { port: 1 } })).json().public_id;
    const external = await instance(objectConfig);
    assert.deepEqual(external.channel_mappings, []);
    assert.equal(external.config_json, '{"port":1}');
  });

  it('§12.88 mapping create → 201; same channel_id → 409; unknown event → 404; unlink with null → 200', async () => {
    const id = (await post('/api/v1/plugins', { plugin_id: 'custom', instance_name: 'Custom' })).json().public_id;
    const event = (await post('/api/v1/events', { name: 'Custom mV', type: 'sensor', unit: 'mV', min_value: 0, max_value: 5 }, operator)).json().public_id;
    const created = await post(`/api/v1/plugins/${id}/channels`, { channel_id: 'ch1', channel_name: 'Channel 1', direction: 'input', unit: 'mV', event_public_id: event });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().message, 'Channel mapping created.');
    assert.deepEqual((await post(`/api/v1/plugins/${id}/channels`, { channel_id: 'ch1', channel_name: 'Again', direction: 'input', unit: 'mV' })).json(), { detail: 'Channel mapping already exists.' });
    const unknown = await post(`/api/v1/plugins/${id}/channels`, { channel_id: 'ch2', channel_name: 'Two', direction: 'input', unit: 'mV', event_public_id: 'evt_000000000000000000000000' });
    assert.deepEqual(unknown.json(), { detail: 'Event not found.' });
    const unlink = await wm.request({ method: 'PUT', url: `/api/v1/plugins/${id}/channels/${created.json().public_id}`, token: admin, payload: { event_public_id: null } });
    assert.deepEqual(unlink.json(), { status: 'success', message: 'Channel mapping successfully updated.' });
    const list = (await wm.request({ method: 'GET', url: `/api/v1/plugins/${id}/channels`, token: viewer })).json();
    assert.deepEqual(list.map((m: Mapping) => [m.channel_id, m.event_public_id]), [['ch1', null]]);
  });

  it('§12.37 §12.89 datapoints need a mapping of an enabled instance; disabling rejects them at once', async () => {
    const id = (await post('/api/v1/plugins', { plugin_id: 'custom', instance_name: 'Linker' })).json().public_id;
    const event = (await post('/api/v1/events', { name: 'Linked', type: 'sensor', unit: 'u', min_value: 0, max_value: 5 }, operator)).json().public_id;
    const unlinked = await post('/api/v1/datapoints', { value: 1, event_public_id: event }, operator);
    assert.deepEqual(unlinked.json(), { detail: 'Event is not linked to an enabled plugin instance.' });
    await post(`/api/v1/plugins/${id}/channels`, { channel_id: 'c', channel_name: 'C', direction: 'input', unit: 'u', event_public_id: event });
    assert.equal((await post('/api/v1/datapoints', { value: 1, event_public_id: event }, operator)).statusCode, 201);
    await wm.request({ method: 'PUT', url: `/api/v1/plugins/${id}`, token: admin, payload: { enabled: false } });
    assert.equal((await instance(id)).status, 'inactive');
    assert.equal((await post('/api/v1/datapoints', { value: 1, event_public_id: event }, operator)).statusCode, 409);
  });

  it('§12.40 a batch mixing linked, unlinked and unknown events stores only the linked ones', async () => {
    const id = (await post('/api/v1/plugins', { plugin_id: 'custom', instance_name: 'Mixer' })).json().public_id;
    const linked = (await post('/api/v1/events', { name: 'Mix linked', type: 'sensor', unit: 'u', min_value: 0, max_value: 5 }, operator)).json().public_id;
    const unlinked = (await post('/api/v1/events', { name: 'Mix unlinked', type: 'sensor', unit: 'u', min_value: 0, max_value: 5 }, operator)).json().public_id;
    await post(`/api/v1/plugins/${id}/channels`, { channel_id: 'c', channel_name: 'C', direction: 'input', unit: 'u', event_public_id: linked });
    const unknown = 'evt_000000000000000000000000';
    const res = await post('/api/v1/datapoints/batch', { datapoints: [linked, unlinked, unknown, linked].map((e) => ({ value: 1, event_public_id: e })) }, operator);
    assert.deepEqual(res.json(), { status: 'success', message: '2 datapoints successfully created.', accepted: 2, rejected: 2, rejected_events: [unlinked, unknown] });
  });

  it('§12.87 deleting an instance removes its exclusive events with data and rules, keeps shared ones', async () => {
    const a = (await post('/api/v1/plugins', { plugin_id: 'custom', instance_name: 'Owner A' })).json().public_id;
    const b = (await post('/api/v1/plugins', { plugin_id: 'custom', instance_name: 'Owner B' })).json().public_id;
    const own = (await post('/api/v1/events', { name: 'Only A', type: 'sensor', unit: 'u', min_value: 0, max_value: 5 }, operator)).json().public_id;
    const shared = (await post('/api/v1/events', { name: 'Shared', type: 'sensor', unit: 'u', min_value: 0, max_value: 5 }, operator)).json().public_id;
    await post(`/api/v1/plugins/${a}/channels`, { channel_id: 'own', channel_name: 'Own', direction: 'input', unit: 'u', event_public_id: own });
    await post(`/api/v1/plugins/${a}/channels`, { channel_id: 'shared', channel_name: 'Shared', direction: 'input', unit: 'u', event_public_id: shared });
    await post(`/api/v1/plugins/${b}/channels`, { channel_id: 'shared', channel_name: 'Shared', direction: 'input', unit: 'u', event_public_id: shared });
    const point = (await post('/api/v1/datapoints', { value: 1, event_public_id: own }, operator)).json().public_id;
    const rule = (await post('/api/v1/rules', { name: 'On own', event_public_id: own, operator: 'gt', threshold: 1, action_type: 'log' })).json().public_id;
    const deleted = await wm.request({ method: 'DELETE', url: `/api/v1/plugins/${a}`, token: admin });
    assert.deepEqual(deleted.json(), { status: 'success', message: 'Plugin instance successfully deleted.' });
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/events/${own}`, token: viewer })).statusCode, 404);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/datapoints/${point}`, token: viewer })).statusCode, 404);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/rules/${rule}`, token: admin })).statusCode, 404);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/events/${shared}`, token: viewer })).statusCode, 200);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/plugins/${a}`, token: viewer })).json().detail, 'Plugin instance not found.');
  });

  it('§12.92 bundled packages are listed and not removable', async () => {
    const res = (await wm.request({ method: 'GET', url: '/api/v1/plugins/packages', token: viewer })).json();
    assert.deepEqual(
      res.map((p: { package_name: string; version: string; source: string; plugin_ids: string[]; removable: boolean; file_size_bytes: null }) => [p.package_name, p.version, p.source, p.plugin_ids, p.removable, p.file_size_bytes]),
      [
        ['webmacs-plugin-simulated', '0.2.0', 'bundled', ['simulated'], false, null],
        ['webmacs-plugin-system', '0.1.0', 'bundled', ['system'], false, null],
      ],
    );
  });
});
