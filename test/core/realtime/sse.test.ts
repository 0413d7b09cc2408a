import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Fastify from 'fastify';
import { formatEvent, openSse, type SseOptions, type SseStream } from '../../../src/core/realtime/sse.ts';

/** A real server whose /events route opens an SSE stream and hands it to the test. */
async function serveStream(t: TestContext, options?: SseOptions) {
  const app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-request-id', 'req-42');
  });
  const streams: SseStream[] = [];
  const opened = new Promise<SseStream>((resolve) => {
    app.get('/events', (request, reply) => {
      const stream = openSse(request, reply, options);
      streams.push(stream);
      resolve(stream);
    });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/events`, opened };
}

/** A streaming fetch client that accumulates what it has read. */
async function connect(url: string, signal?: AbortSignal) {
  const response = await fetch(url, { signal });
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  return {
    response,
    get text() {
      return text;
    },
    /** reads until the condition holds; returns false if the stream ended first */
    async readUntil(condition: (text: string) => boolean): Promise<boolean> {
      while (!condition(text)) {
        const { value, done } = await reader.read();
        if (done) return false;
        text += value;
      }
      return true;
    },
  };
}

test('responds 200 with event-stream headers, keeping the headers already set on the reply', async (t) => {
  const { url, opened } = await serveStream(t, { headers: { 'x-stream': 'jobs' } });
  const client = await connect(url);
  const stream = await opened;

  assert.equal(client.response.status, 200);
  assert.equal(client.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(client.response.headers.get('cache-control'), 'no-cache, no-transform');
  assert.equal(client.response.headers.get('x-accel-buffering'), 'no');
  assert.equal(client.response.headers.get('x-request-id'), 'req-42');
  assert.equal(client.response.headers.get('x-stream'), 'jobs');
  assert.equal(client.response.headers.get('content-length'), null);
  stream.close();
});

test('frames events, multi-line data, JSON data and comments as the SSE format requires, and close() ends the body', async (t) => {
  const { url, opened } = await serveStream(t);
  const client = await connect(url);
  const stream = await opened;

  assert.equal(stream.send({ data: 'hello' }), true);
  stream.send({ event: 'update', id: 7, retry: 5000, data: 'line1\nline2\r\nline3\rline4' });
  stream.send({ data: { a: 1, text: 'x\ny' } });
  stream.send({ data: '' });
  stream.comment('keep\nthis');
  stream.close();

  assert.equal(await client.readUntil(() => false), false);
  assert.equal(
    client.text,
    'data: hello\n\n' +
      'id: 7\nevent: update\nretry: 5000\ndata: line1\ndata: line2\ndata: line3\ndata: line4\n\n' +
      'data: {"a":1,"text":"x\\ny"}\n\n' +
      'data: \n\n' +
      ': keep\n: this\n\n',
  );
  assert.equal(stream.closed, true);
  assert.equal(stream.closeReason, 'server');
  assert.equal(stream.signal.aborted, true);
  assert.equal(stream.send({ data: 'late' }), false);
});

test('refuses ids and event names that would break the framing, bad retry values and unserialisable data', () => {
  assert.throws(() => formatEvent({ id: 'a\nb', data: 'x' }), TypeError);
  assert.throws(() => formatEvent({ id: 'a\0b', data: 'x' }), TypeError);
  assert.throws(() => formatEvent({ event: 'a\rb', data: 'x' }), TypeError);
  assert.throws(() => formatEvent({ retry: -1, data: 'x' }), TypeError);
  assert.throws(() => formatEvent({ retry: 1.5, data: 'x' }), TypeError);
  assert.throws(() => formatEvent({ data: undefined }), TypeError);
  assert.throws(() => formatEvent({ data: { n: 1n } }), TypeError);
});

test('sends ": ping" heartbeats while idle', async (t) => {
  const { url, opened } = await serveStream(t, { heartbeatMs: 20 });
  const client = await connect(url);
  const stream = await opened;

  assert.equal(await client.readUntil((text) => text.split(': ping\n\n').length > 2), true);

  assert.equal(client.text.replaceAll(': ping\n\n', ''), '');
  stream.close();
});

test('a client disconnecting aborts the signal and closes the stream', async (t) => {
  const { url, opened } = await serveStream(t);
  const controller = new AbortController();
  await connect(url, controller.signal);
  const stream = await opened;
  const aborted = once(stream.signal, 'abort');

  controller.abort();
  await aborted;

  assert.equal(stream.closed, true);
  assert.equal(stream.closeReason, 'client');
  assert.equal(stream.send({ data: 'nobody listens' }), false);
  assert.equal(stream.comment('nobody listens'), false);
});

test('a client that stops reading is dropped as a slow consumer while every send returns at once', async (t) => {
  const maxBufferedBytes = 256 * 1024;
  const { url, opened } = await serveStream(t, { maxBufferedBytes });
  const client = await connect(url);
  const stream = await opened;
  const chunk = 'x'.repeat(64 * 1024);
  let sentBytes = 0;

  // the client never reads; the producer keeps going, letting the event loop run between sends
  while (stream.send({ data: chunk })) {
    sentBytes += chunk.length;
    assert.ok(sentBytes < 512 * 1024 * 1024, 'the stream should have been dropped long before');
    await nextTurn();
  }

  assert.equal(stream.closeReason, 'slow-consumer');
  assert.equal(stream.signal.aborted, true);
  assert.ok(sentBytes > maxBufferedBytes, `${sentBytes} bytes sent before the drop`);
  await assert.rejects(client.readUntil(() => false));
});

test('a client that keeps reading is never dropped however much is sent', async (t) => {
  const { url, opened } = await serveStream(t, { maxBufferedBytes: 1024 * 1024 });
  const client = await connect(url);
  const stream = await opened;
  const chunk = 'y'.repeat(64 * 1024);
  const frameBytes = formatEvent({ data: chunk }).length;
  const count = 128;
  const reading = client.readUntil((text) => text.length >= count * frameBytes);

  for (let i = 0; i < count; i += 1) {
    assert.equal(stream.send({ data: chunk }), true, `send ${i}`);
    await nextTurn();
  }

  assert.equal(await reading, true);
  assert.equal(client.text.length, count * frameBytes);
  assert.equal(stream.closed, false);
  stream.close();
});
