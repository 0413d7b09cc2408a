import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

describe('webmacs webhooks (spec §3.10, §4.4)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let operator: string;
  let receiver: WebhookReceiver;
  let receiverUrl: string;
  let eventId: string;

  const post = (url: string, payload: object, token = admin) => wm.request({ method: 'POST', url, token, payload });
  const deliveries = async (webhookId: string, query = '') =>
    (await wm.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries?page_size=100${query}`, token: admin })).json().data as Array<Record<string, unknown>>;
  /** the delivery log changes after the receiver answered; poll it briefly */
  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    receiver = new WebhookReceiver();
    receiverUrl = await receiver.start();
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true' } });
    await wm.server.startWorkers();
    admin = await wm.adminToken();
    operator = (await wm.userWithRole('operator')).token;
    eventId = (await post('/api/v1/events', { name: 'Hook Temp', type: 'sensor', unit: '°C', min_value: 0, max_value: 100 })).json().public_id;
  });
  after(async () => {
    await wm.dispose();
    await receiver.close();
  });

  it('§12.56 admin only; bad URL, empty events, duplicate URL and blocked addresses refused; no secret in responses', async () => {
    assert.equal((await post('/api/v1/webhooks', { url: `${receiverUrl}/x`, events: ['sensor.reading'] }, operator)).statusCode, 403);
    assert.equal((await post('/api/v1/webhooks', { url: 'ftp://x', events: ['sensor.reading'] })).statusCode, 422);
    assert.equal((await post('/api/v1/webhooks', { url: `${receiverUrl}/x`, events: [] })).statusCode, 422);
    const metadata = await post('/api/v1/webhooks', { url: 'http://169.254.169.254/latest', events: ['sensor.reading'] });
    assert.equal(metadata.statusCode, 422);
    assert.deepEqual(metadata.json().detail[0].loc, ['body', 'url']);
    const created = await post('/api/v1/webhooks', { url: `${receiverUrl}/dup`, secret: 's3cret', events: ['experiment.started', 'experiment.started'] });
    assert.equal(created.statusCode, 201);
    assert.match(created.json().public_id, PUBLIC_ID('whk'));
    assert.equal((await post('/api/v1/webhooks', { url: `${receiverUrl}/dup`, events: ['sensor.reading'] })).json().detail, 'Webhook already exists.');
    const got = await wm.request({ method: 'GET', url: `/api/v1/webhooks/${created.json().public_id}`, token: admin });
    assert.deepEqual(Object.keys(got.json()).sort(), ['created_on', 'enabled', 'events', 'has_secret', 'public_id', 'url', 'user_public_id']);
    assert.deepEqual(got.json().events, ['experiment.started']);
    assert.equal(got.json().has_secret, true);
    assert.ok(!got.body.includes('s3cret'));
    await wm.request({ method: 'DELETE', url: `/api/v1/webhooks/${created.json().public_id}`, token: admin });
  });

  it('§12.57 §12.58 §12.29 a delivery to a 200 receiver is delivered once, signed over the exact body (openssl)', async () => {
    const secret = 'hmac-secret';
    const webhookId = (await post('/api/v1/webhooks', { url: `${receiverUrl}/signed`, secret, events: ['experiment.started'] })).json().public_id;
    const start = receiver.requests.length;
    const experimentId = (await post('/api/v1/experiments', { name: 'Hooked run' }, operator)).json().public_id;
    const [request] = (await receiver.received(start + 1)).slice(start);
    const body = request!.body;
    const payload = JSON.parse(body.toString());
    assert.equal(payload.type, 'experiment.started');
    assert.equal(payload.experiment, 'Hooked run');
    assert.equal(payload.experiment_public_id, experimentId);
    assert.match(payload.time, /\+00:00$/);
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: body }).toString().trim().split(' ').pop();
    assert.equal(request!.headers['x-webhook-signature'], openssl);
    assert.equal(request!.headers['x-webhook-event'], 'experiment.started');
    assert.match(String(request!.headers['x-webhook-timestamp']), /^\d+$/);
    assert.match(String(request!.headers['x-webhook-delivery']), PUBLIC_ID('dlv'));
    const [delivery] = await eventually(() => deliveries(webhookId), (list) => list[0]?.status === 'delivered');
    assert.equal(delivery!.status, 'delivered');
    assert.equal(delivery!.attempts, 1);
    assert.equal(delivery!.response_code, 200);
    assert.equal(delivery!.last_error, null);
    assert.deepEqual(delivery!.payload, payload);
    await wm.request({ method: 'DELETE', url: `/api/v1/webhooks/${webhookId}`, token: admin });
  });

  it('§12.59 §12.64 a 500 receiver is retried after ~2 s and ~4 s, then dead-lettered; redeliver makes a new delivery', async () => {
    receiver.status = () => 500;
    const webhookId = (await post('/api/v1/webhooks', { url: `${receiverUrl}/failing`, events: ['experiment.stopped'] })).json().public_id;
    const experimentId = (await post('/api/v1/experiments', { name: 'Failing run' }, operator)).json().public_id;
    const start = receiver.requests.length;
    await wm.request({ method: 'PUT', url: `/api/v1/experiments/${experimentId}/stop`, token: operator });
    await receiver.received(start + 1);
    const between = await eventually(() => deliveries(webhookId), (list) => list[0]?.status === 'failed');
    assert.equal(between[0]!.status, 'failed');
    const attempts = (await receiver.received(start + 3)).slice(start);
    const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    assert.ok(gaps[0]! >= 1900 && gaps[0]! < 3500, `first retry after ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 3900 && gaps[1]! < 5500, `second retry after ${gaps[1]} ms`);
    const [dead] = await eventually(() => deliveries(webhookId), (list) => list[0]?.status === 'dead_letter');
    assert.equal(dead!.status, 'dead_letter');
    assert.equal(dead!.attempts, 3);
    assert.equal(dead!.last_error, 'HTTP 500');
    assert.equal(dead!.response_code, 500);
    assert.equal((await deliveries(webhookId, '&status=dead_letter')).length, 1);
    assert.equal((await deliveries(webhookId, '&status=delivered')).length, 0);

    receiver.status = () => 200;
    const redo = await wm.request({ method: 'POST', url: `/api/v1/webhooks/${webhookId}/deliveries/${dead!.public_id}/redeliver`, token: admin });
    assert.equal(redo.statusCode, 202);
    assert.equal(redo.json().message, 'Redelivery scheduled.');
    const list = await eventually(() => deliveries(webhookId), (l) => l.some((d) => d.status === 'delivered'));
    const again = list.find((d) => d.public_id === redo.json().public_id)!;
    assert.equal(again.redelivery_of, dead!.public_id);
    assert.deepEqual(again.payload, dead!.payload);
    assert.equal(again.status, 'delivered');
    const unknown = await wm.request({ method: 'POST', url: `/api/v1/webhooks/${webhookId}/deliveries/dlv_000000000000000000000000/redeliver`, token: admin });
    assert.deepEqual(unknown.json(), { detail: "Delivery 'dlv_000000000000000000000000' not found." });
    await wm.request({ method: 'DELETE', url: `/api/v1/webhooks/${webhookId}`, token: admin });
  });

  it('§12.65 sensor.reading goes out at most once per event per 5 s, with the batch’s latest value', async () => {
    const webhookId = (await post('/api/v1/webhooks', { url: `${receiverUrl}/readings`, events: ['sensor.reading'] })).json().public_id;
    const start = receiver.requests.length;
    await post('/api/v1/datapoints/batch', { datapoints: [{ value: 1, event_public_id: eventId }, { value: 2, event_public_id: eventId }] }, operator);
    await post('/api/v1/datapoints', { value: 3, event_public_id: eventId }, operator);
    await receiver.received(start + 1);
    const list = await eventually(() => deliveries(webhookId), (l) => l[0]?.status === 'delivered');
    assert.equal(list.length, 1);
    assert.deepEqual({ ...(list[0]!.payload as object), time: undefined }, { type: 'sensor.reading', time: undefined, sensor: eventId, value: 2 });
    await wm.request({ method: 'DELETE', url: `/api/v1/webhooks/${webhookId}`, token: admin });
  });
});

describe('webmacs webhooks without loopback permission (spec §12.61)', () => {
  it('§12.61 a delivery to a name resolving to loopback is dead-lettered as blocked without a request', async () => {
    const receiver = new WebhookReceiver();
    const url = (await receiver.start()).replace('127.0.0.1', 'localhost');
    const wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    try {
      await wm.server.startWorkers();
      const admin = await wm.adminToken();
      const literal = await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url: 'http://127.0.0.1:9/x', events: ['experiment.started'] } });
      assert.equal(literal.statusCode, 422);
      const webhookId = (await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url, events: ['experiment.started'] } })).json().public_id;
      await wm.request({ method: 'POST', url: '/api/v1/experiments', token: admin, payload: { name: 'Blocked run' } });
      const deadline = Date.now() + 10_000;
      let delivery: Record<string, unknown> | undefined;
      while (Date.now() < deadline) {
        delivery = (await wm.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries`, token: admin })).json().data[0];
        if (delivery?.status === 'dead_letter') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(delivery?.status, 'dead_letter');
      assert.equal(delivery?.last_error, 'Blocked destination address');
      assert.equal(delivery?.attempts, 1);
      assert.equal(receiver.requests.length, 0);
    } finally {
      await wm.dispose();
      await receiver.close();
    }
  });
});
