import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

describe('webmacs rules (spec §3.11, §4.3)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let operator: string;
  let receiver: WebhookReceiver;
  let eventId: string;
  let counter = 0;

  const post = (url: string, payload: object, token = admin) => wm.request({ method: 'POST', url, token, payload });
  const rule = (fields: object) => ({ name: `Rule ${++counter}`, event_public_id: eventId, operator: 'gt', threshold: 50, action_type: 'log', ...fields });
  const warnings = async () =>
    ((await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100&logging_type=warning', token: admin })).json().data as Array<{ content: string }>).map((e) => e.content);
  const ingest = (...values: number[]) => post('/api/v1/datapoints/batch', { datapoints: values.map((value) => ({ value, event_public_id: eventId })) }, operator);

  before(async () => {
    receiver = new WebhookReceiver();
    const url = await receiver.start();
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true' } });
    await wm.server.startWorkers();
    admin = await wm.adminToken();
    operator = (await wm.userWithRole('operator')).token;
    eventId = (await post('/api/v1/events', { name: 'Reactor', type: 'sensor', unit: '°C', min_value: 0, max_value: 500 })).json().public_id;
    await post('/api/v1/webhooks', { url: `${url}/rules`, events: ['sensor.threshold_exceeded'] });
  });
  after(async () => {
    await wm.dispose();
    await receiver.close();
  });

  it('§12.67 admin only; between needs threshold_high ≥ threshold; unknown event → 404; duplicate → 409', async () => {
    assert.deepEqual((await post('/api/v1/rules', rule({}), operator)).json(), { detail: 'Admin privileges required.' });
    const missingHigh = await post('/api/v1/rules', rule({ operator: 'between' }));
    assert.equal(missingHigh.statusCode, 422);
    assert.equal(missingHigh.json().detail[0].msg, 'Value error, threshold_high is required for between/not_between operators');
    const inverted = await post('/api/v1/rules', rule({ operator: 'not_between', threshold: 5, threshold_high: 4 }));
    assert.equal(inverted.json().detail[0].msg, 'Value error, threshold_high must be >= threshold');
    assert.deepEqual((await post('/api/v1/rules', rule({ event_public_id: 'evt_000000000000000000000000' }))).json(), { detail: 'Event not found.' });
    const created = await post('/api/v1/rules', rule({ name: 'Unique', enabled: false }));
    assert.equal(created.statusCode, 201);
    assert.match(created.json().public_id, PUBLIC_ID('rul'));
    assert.deepEqual((await post('/api/v1/rules', rule({ name: 'Unique' }))).json(), { detail: 'Rule already exists.' });
    const got = (await wm.request({ method: 'GET', url: `/api/v1/rules/${created.json().public_id}`, token: admin })).json();
    assert.equal(got.cooldown_seconds, 60);
    assert.equal(got.enabled, false);
    assert.equal(got.last_triggered_at, null);
  });

  it('§12.68 a PUT that makes the merged rule invalid → 422', async () => {
    const id = (await post('/api/v1/rules', rule({ enabled: false }))).json().public_id;
    const res = await wm.request({ method: 'PUT', url: `/api/v1/rules/${id}`, token: admin, payload: { operator: 'between' } });
    assert.equal(res.statusCode, 422);
    const ok = await wm.request({ method: 'PUT', url: `/api/v1/rules/${id}`, token: admin, payload: { operator: 'between', threshold_high: 60 } });
    assert.deepEqual(ok.json(), { status: 'success', message: 'Rule successfully updated.' });
  });

  it('§12.70 §12.71 §12.72 a matching log rule fires once per batch with the latest value, then waits out its cooldown', async () => {
    const id = (await post('/api/v1/rules', rule({ name: 'Hot', threshold: 100, cooldown_seconds: 1 }))).json().public_id;
    await ingest(...Array.from({ length: 99 }, () => 10), 150);
    await ingest(170);
    const fired = (await warnings()).filter((c) => c.startsWith("Rule 'Hot'"));
    assert.deepEqual(fired, ["Rule 'Hot' triggered: Reactor = 150.0 °C (gt 100.0)."]);
    assert.notEqual((await wm.request({ method: 'GET', url: `/api/v1/rules/${id}`, token: admin })).json().last_triggered_at, null);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await ingest(180);
    assert.equal((await warnings()).filter((c) => c.startsWith("Rule 'Hot'")).length, 2);
    await wm.request({ method: 'DELETE', url: `/api/v1/rules/${id}`, token: admin });
  });

  it('§12.70 two concurrent batches trigger a rule once', async () => {
    await post('/api/v1/rules', rule({ name: 'Race', threshold: 200 }));
    await Promise.all([ingest(250), ingest(260), ingest(270)]);
    assert.equal((await warnings()).filter((c) => c.startsWith("Rule 'Race'")).length, 1);
  });

  it('§12.72 a webhook rule sends sensor.threshold_exceeded with rule, operator, threshold, sensor and value', async () => {
    const start = receiver.requests.length;
    const id = (await post('/api/v1/rules', rule({ name: 'Hook', operator: 'between', threshold: 300, threshold_high: 310, action_type: 'webhook' }))).json().public_id;
    await ingest(305);
    const [request] = (await receiver.received(start + 1)).slice(start);
    const payload = JSON.parse(request!.body.toString());
    assert.deepEqual({ ...payload, time: undefined }, {
      type: 'sensor.threshold_exceeded',
      time: undefined,
      sensor: eventId,
      value: 305,
      rule: 'Hook',
      operator: 'between',
      threshold: 300,
      threshold_high: 310,
      rule_public_id: id,
      event_name: 'Reactor',
      unit: '°C',
    });
  });

  it('§12.73 disabled rules never trigger', async () => {
    await post('/api/v1/rules', rule({ name: 'Off', threshold: 0, enabled: false }));
    await ingest(400);
    assert.equal((await warnings()).filter((c) => c.startsWith("Rule 'Off'")).length, 0);
  });
});
