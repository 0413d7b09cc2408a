import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Fastify from 'fastify';
import websocket from '@fastify/websocket';
import { WebSocket } from 'ws';
import { Broadcaster, wrapSocket, type ClientChannel, type ClientChannelOptions } from '../../../src/core/realtime/ws.ts';

/** A real server whose /ws route wraps each connection and hands the channel to the test. */
async function serveChannels(t: TestContext, options?: ClientChannelOptions) {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(websocket);
  const waiting: ((channel: ClientChannel) => void)[] = [];
  await app.register(async (scope) => {
    scope.addHook('preValidation', async (request, reply) => {
      if (request.headers.authorization !== 'Bearer good') await reply.code(401).send({ error: 'unauthorized' });
    });
    scope.get('/ws', { websocket: true }, (socket) => waiting.shift()?.(wrapSocket(socket, options)));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  const url = `ws://127.0.0.1:${port}/ws`;

  /** opens a client and resolves once the server has wrapped its socket */
  async function open(clientOptions: { autoPong?: boolean } = {}) {
    const channel = new Promise<ClientChannel>((resolve) => waiting.push(resolve));
    const client = new WebSocket(url, { headers: { authorization: 'Bearer good' }, ...clientOptions });
    t.after(() => client.terminate());
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const closed = once(client, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    await once(client, 'open');
    return { client, received, closed, channel: await channel };
  }
  return { url, open };
}

function untilReceived(received: string[], count: number, client: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (received.length < count) return;
      client.off('message', check);
      resolve();
    };
    client.on('message', check);
    check();
  });
}

test('messages reach the client in the order they were sent, objects as JSON', async (t) => {
  const { open } = await serveChannels(t);
  const { client, received, channel } = await open();

  for (let i = 0; i < 200; i += 1) assert.equal(channel.send(i % 2 ? `text ${i}` : { n: i }), true);
  await untilReceived(received, 200, client);

  assert.deepEqual(
    received,
    Array.from({ length: 200 }, (_, i) => (i % 2 ? `text ${i}` : JSON.stringify({ n: i }))),
  );
});

test('close() closes with the given code and reason, tells onClose listeners once, and later sends are refused', async (t) => {
  const { open } = await serveChannels(t);
  const { closed, channel } = await open();
  const heard: string[] = [];
  channel.onClose((code, reason) => heard.push(`${code} ${reason}`));
  const serverClosed = new Promise<void>((resolve) => channel.onClose(() => resolve()));

  channel.close(4000, 'bye');
  assert.equal(channel.closed, true);
  assert.equal(channel.send('late'), false);

  assert.deepEqual(await closed, { code: 4000, reason: 'bye' });
  await serverClosed;
  assert.deepEqual(heard, ['4000 bye']);
  const lateListener: string[] = [];
  channel.onClose((code) => lateListener.push(`late ${code}`));
  assert.deepEqual(lateListener, ['late 4000']);
});

test('a slow consumer is closed with 1013 while a fast client on the same broadcaster keeps receiving and broadcasting never waits', async (t) => {
  const maxBufferedBytes = 256 * 1024;
  const { open } = await serveChannels(t, { maxBufferedBytes });
  const fast = await open();
  const slow = await open();
  const broadcaster = new Broadcaster();
  broadcaster.add(fast.channel);
  broadcaster.add(slow.channel);
  // the slow client stops reading from its TCP socket, as a stalled browser tab would
  const slowSocket = (slow.client as unknown as { _socket: Socket })._socket;
  slowSocket.pause();
  const payload = 'z'.repeat(32 * 1024);

  let sent = 0;
  while (!slow.channel.closed) {
    const took = broadcaster.broadcast({ seq: sent, payload });
    assert.ok(took >= 1, 'the fast client takes every message');
    sent += 1;
    assert.ok(sent < 20_000, 'the slow client should have been dropped long before');
    await nextTurn();
  }
  for (let i = 0; i < 10; i += 1) assert.equal(broadcaster.broadcast({ seq: sent++, payload }), 1);

  assert.equal(broadcaster.size, 1);
  assert.equal(fast.channel.closed, false);
  await untilReceived(fast.received, sent, fast.client);
  assert.deepEqual(
    fast.received.map((text) => (JSON.parse(text) as { seq: number }).seq),
    Array.from({ length: sent }, (_, i) => i),
  );
  slowSocket.resume();
  assert.deepEqual(await slow.closed, { code: 1013, reason: 'slow consumer' });
});

test('a peer that stops answering pings is terminated', async (t) => {
  const { open } = await serveChannels(t, { heartbeatMs: 100 });
  const dead = await open({ autoPong: false });
  const alive = await open();
  const serverSaw = new Promise<number>((resolve) => dead.channel.onClose((code) => resolve(code)));

  const { code } = await dead.closed;

  assert.equal(code, 1006);
  assert.equal(await serverSaw, 1006);
  assert.equal(dead.channel.closed, true);
  assert.equal(alive.channel.closed, false);
});

test('the broadcaster forgets channels that close and serialises each message once for all', async (t) => {
  const { open } = await serveChannels(t);
  const a = await open();
  const b = await open();
  const broadcaster = new Broadcaster();
  broadcaster.add(a.channel);
  broadcaster.add(b.channel);
  broadcaster.add(a.channel);
  assert.equal(broadcaster.size, 2);
  let serialised = 0;
  const message = {
    toJSON() {
      serialised += 1;
      return { hello: 'all' };
    },
  };

  assert.equal(broadcaster.broadcast(message), 2);
  assert.equal(serialised, 1);
  const gone = new Promise<void>((resolve) => b.channel.onClose(() => resolve()));
  b.client.close(1000, 'leaving');
  await gone;

  assert.equal(broadcaster.size, 1);
  assert.equal(broadcaster.broadcast('only a'), 1);
  await untilReceived(a.received, 2, a.client);
  assert.deepEqual(a.received, ['{"hello":"all"}', 'only a']);
  broadcaster.delete(a.channel);
  assert.equal(broadcaster.size, 0);
  assert.equal(broadcaster.broadcast('nobody'), 0);
});

test('an upgrade refused by a preValidation hook reaches the client as a plain HTTP response', async (t) => {
  const { url } = await serveChannels(t);
  const client = new WebSocket(url, { headers: { authorization: 'Bearer bad' } });
  t.after(() => client.terminate());
  client.on('error', () => {});

  const [, response] = (await once(client, 'unexpected-response')) as [unknown, IncomingMessage];
  let body = '';
  for await (const chunk of response) body += String(chunk);

  assert.equal(response.statusCode, 401);
  assert.deepEqual(JSON.parse(body), { error: 'unauthorized' });
});
