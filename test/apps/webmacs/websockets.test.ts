import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

const execFileAsync = promisify(execFile);

/** A client socket that records every message and its close, so tests await events instead of sleeping. */
class Client {
  readonly messages: Array<Record<string, unknown>> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string): Promise<Client> {
    const client = new Client(new WebSocket(url));
    await new Promise((resolve, reject) => {
      client.socket.once('open', resolve);
      client.socket.once('error', reject);
    });
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** the first message (from index `from`) matching the predicate */
  async next(predicate: (m: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

const ofType = (type: string) => (m: Record<string, unknown>) => m.type === type;

describe('webmacs WebSockets (spec §3.15)', () => {
  let wm: WebmacsHarness;
  let base: string;
  let operator: string;
  let viewer: string;
  let temp: string;
  let flow: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_WS_AUTH_TIMEOUT_S: '2' } });
    base = (await wm.server.listen()).replace(/^http/, 'ws');
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
    const event = (name: string) =>
      wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 100 } }).then((r) => r.json().public_id as string);
    temp = await event('WS Temp');
    flow = await event('WS Flow');
  });
  after(() => wm.dispose());

  const latestValue = async (eventId: string) =>
    (await wm.request({ method: 'GET', url: `/api/v1/datapoints/latest?event_public_ids=${eventId}`, token: viewer })).json()[0]?.value;

  it('§12.102 telemetry with a bad token or a viewer token is accepted then closed 1008 with the reason', async () => {
    const bad = await Client.open(`${base}/ws/controller/telemetry?token=garbage`);
    assert.deepEqual(await bad.closed, { code: 1008, reason: 'Invalid or expired token' });
    const wrongApiToken = await Client.open(`${base}/ws/controller/telemetry?token=wm_nope`);
    assert.deepEqual(await wrongApiToken.closed, { code: 1008, reason: 'Invalid API token' });
    const asViewer = await Client.open(`${base}/ws/controller/telemetry?token=${viewer}`);
    assert.deepEqual(await asViewer.closed, { code: 1008, reason: 'Operator privileges required' });
  });

  it('§12.103 a telemetry frame is stored and answered only when it carries an id', async () => {
    const client = await Client.open(`${base}/ws/controller/telemetry?token=${operator}`);
    client.send({ datapoints: [{ value: 11, event_public_id: temp }] });
    client.send({ id: 7, datapoints: [{ value: 12, event_public_id: temp }, { value: 1, event_public_id: 'evt_000000000000000000000000' }] });
    assert.deepEqual(await client.next(ofType('ack')), { type: 'ack', id: 7, accepted: 1, rejected: 1 });
    assert.equal(client.messages.length, 1, 'the frame without id got no answer');
    assert.equal(await latestValue(temp), 12);
    client.socket.close();
  });

  it('§12.104 oversized batches and frames without valid items get errors; a non-JSON frame closes 1003', async () => {
    const client = await Client.open(`${base}/ws/controller/telemetry?token=${operator}`);
    client.send({ id: 'big', datapoints: Array.from({ length: 501 }, () => ({ value: 1, event_public_id: temp })) });
    assert.deepEqual(await client.next(ofType('error')), { type: 'error', message: 'Batch too large (501), max 500', id: 'big' });
    client.send({ datapoints: [{ value: 'x', event_public_id: temp }, { event_public_id: temp }, 5, { value: 1, event_public_id: temp, timestamp: 'never' }] });
    assert.deepEqual(await client.next((m) => m.type === 'error' && m.id === undefined), { type: 'error', message: 'No valid datapoints in batch' });
    client.send('not json');
    assert.deepEqual(await client.closed, { code: 1003, reason: 'Invalid JSON' });
  });

  it('§12.105 a batch sent by Debian python3-websockets is stored', async () => {
    const script = [
      'import asyncio, json, sys, websockets',
      'async def main():',
      '    async with websockets.connect(sys.argv[1]) as ws:',
      '        await ws.send(json.dumps({"id": 1, "datapoints": [{"value": 33.25, "event_public_id": sys.argv[2]}]}))',
      '        print(await ws.recv())',
      'asyncio.run(main())',
    ].join('\n');
    const { stdout } = await execFileAsync('/usr/bin/python3', ['-c', script, `${base}/ws/controller/telemetry?token=${operator}`, flow]);
    assert.deepEqual(JSON.parse(stdout), { type: 'ack', id: 1, accepted: 1, rejected: 0 });
    assert.equal(await latestValue(flow), 33.25);
  });

  it('§12.106 stream: connected, ping → pong, ingested batches arrive as datapoints_batch', async () => {
    const client = await Client.open(`${base}/ws/datapoints/stream?token=${viewer}`);
    assert.deepEqual(await client.next(ofType('connected')), { type: 'connected', message: 'Subscribed to live datapoint stream.' });
    client.send({ type: 'ping' });
    await client.next(ofType('pong'));
    const posted = await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: operator, payload: { value: 55.5, event_public_id: flow, timestamp: '2025-01-15T14:30:00.5Z' } });
    const batch = await client.next(ofType('datapoints_batch'));
    assert.deepEqual(batch.datapoints, [
      { value: 55.5, event_public_id: flow, timestamp: '2025-01-15T14:30:00.500000+00:00', experiment_public_id: null, public_id: posted.json().public_id },
    ]);
    client.socket.close();
  });

  it('§12.107 first-message auth works on both endpoints; a wrong first frame closes 1008', async () => {
    for (const path of ['/ws/datapoints/stream', '/ws/controller/telemetry']) {
      const client = await Client.open(`${base}${path}`);
      await client.next(ofType('auth_required'));
      client.send({ type: 'auth', token: operator });
      await client.next(ofType('auth_ok'));
      client.socket.close();
      const wrong = await Client.open(`${base}${path}`);
      await wrong.next(ofType('auth_required'));
      wrong.send({ type: 'hello' });
      assert.deepEqual(await wrong.closed, { code: 1008, reason: 'Authentication required' });
    }
  });

  it('§12.108 §12.109 per-event throttle and subscribe filter', async () => {
    const all = await Client.open(`${base}/ws/datapoints/stream?token=${viewer}`);
    const onlyTemp = await Client.open(`${base}/ws/datapoints/stream?token=${viewer}`);
    await all.next(ofType('connected'));
    await onlyTemp.next(ofType('connected'));
    onlyTemp.send({ type: 'subscribe', event_public_ids: [temp] });
    assert.deepEqual(await onlyTemp.next(ofType('subscribed')), { type: 'subscribed', event_public_ids: [temp] });
    // let the throttle window of earlier tests pass before measuring it
    await new Promise((resolve) => setTimeout(resolve, 250));
    const send = (value: number, eventId: string) => wm.request({ method: 'POST', url: '/api/v1/datapoints', token: operator, payload: { value, event_public_id: eventId } });
    await send(1, flow);
    await send(2, temp);
    await send(3, flow); // within 200 ms of the first flow point: not broadcast
    await new Promise((resolve) => setTimeout(resolve, 250));
    await send(4, flow); // 250 ms later: broadcast
    const values = async (client: Client, count: number) => {
      const seen: number[] = [];
      let index = 0;
      while (seen.length < count) {
        const message = await client.next(ofType('datapoints_batch'), index);
        index = client.messages.indexOf(message) + 1;
        seen.push(...(message.datapoints as Array<{ value: number }>).map((p) => p.value));
      }
      return seen;
    };
    assert.deepEqual(await values(all, 3), [1, 2, 4]);
    assert.deepEqual(await values(onlyTemp, 1), [2]);
    assert.equal(onlyTemp.messages.filter(ofType('datapoints_batch')).length, 1);
    all.socket.close();
    onlyTemp.socket.close();
  });
});
