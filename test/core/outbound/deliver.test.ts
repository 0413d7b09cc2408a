import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createSsrfGuard, deliver, signBody, verifySignature } from '../../../src/core/outbound/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const loopbackGuard = createSsrfGuard({ allowLoopback: true });
let receiver: Receiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe('deliver', () => {
  it('posts the exact signed body to a loopback receiver when loopback is allowed', async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'thanks' }));
    const body = '{"event":"test","n":1}';
    const result = await deliver(
      {
        url: receiver.url,
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signBody('s3cr3t', body) },
        body,
        timeoutMs: 5000,
      },
      loopbackGuard,
    );
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    assert.equal(result.responseBody, 'thanks');
    assert.equal(result.error, undefined);
    assert.ok(result.durationMs >= 0);
    const [request] = receiver.received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/hook');
    assert.equal(request?.body.toString('utf8'), body);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['content-length'], String(body.length));
    assert.equal(request?.headers.host, `127.0.0.1:${receiver.port}`);
    assert.equal(verifySignature('s3cr3t', request!.body, String(request?.headers['x-webhook-signature'])), true);
  });

  it('keeps the host name in the Host header while connecting to the checked address', async () => {
    receiver = await startReceiver();
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    const result = await deliver({ url, body: '{}', timeoutMs: 5000 }, loopbackGuard);
    assert.equal(result.ok, true, result.error);
    assert.equal(receiver.received[0]?.headers.host, `localhost:${receiver.port}`);
  });

  it('refuses a loopback receiver when loopback is not allowed, without connecting', async () => {
    receiver = await startReceiver();
    const strict = createSsrfGuard();
    const byAddress = await deliver({ url: receiver.url, body: '{}', timeoutMs: 5000 }, strict);
    const byName = await deliver({ url: receiver.url.replace('127.0.0.1', 'localhost'), body: '{}', timeoutMs: 5000 }, strict);
    for (const result of [byAddress, byName]) {
      assert.deepEqual({ ...result, durationMs: 0 }, { ok: false, status: null, durationMs: 0, error: 'Blocked destination address', errorKind: 'blocked', responseBody: '' });
    }
    assert.equal(receiver.received.length, 0);
  });

  it('blocks cloud metadata by address and by name even with everything else allowed', async () => {
    const permissive = createSsrfGuard({ allowLoopback: true, allowPrivate: true });
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[::ffff:169.254.169.254]/']) {
      const result = await deliver({ url, body: '', timeoutMs: 1000 }, permissive);
      assert.equal(result.errorKind, 'blocked', url);
      assert.equal(result.error, 'Blocked destination address');
    }
  });

  it('reports a non-2xx answer as an HTTP error with its status and Retry-After', async () => {
    receiver = await startReceiver(() => ({ status: 503, body: 'busy', headers: { 'retry-after': '7' } }));
    const result = await deliver({ url: receiver.url, body: '{}', timeoutMs: 5000 }, loopbackGuard);
    assert.deepEqual(
      { ok: result.ok, status: result.status, error: result.error, errorKind: result.errorKind, retryAfterMs: result.retryAfterMs, body: result.responseBody },
      { ok: false, status: 503, error: 'HTTP 503', errorKind: 'http', retryAfterMs: 7000, body: 'busy' },
    );
  });

  it('does not follow redirects', async () => {
    receiver = await startReceiver((index) => (index === 0 ? { status: 302, headers: { location: 'http://169.254.169.254/' } } : { status: 200 }));
    const result = await deliver({ url: receiver.url, body: '{}', timeoutMs: 5000 }, loopbackGuard);
    assert.equal(result.status, 302);
    assert.equal(result.error, 'HTTP 302');
    assert.equal(receiver.received.length, 1);
  });

  it('truncates the response body to 4 KiB', async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'x'.repeat(100_000) }));
    const result = await deliver({ url: receiver.url, body: '{}', timeoutMs: 5000 }, loopbackGuard);
    assert.equal(result.ok, true);
    assert.equal(result.responseBody, 'x'.repeat(4096));
  });

  it('times out a receiver that never answers', async () => {
    receiver = await startReceiver(() => 'hang');
    const result = await deliver({ url: receiver.url, body: '{}', timeoutMs: 150 }, loopbackGuard);
    assert.deepEqual([result.ok, result.status, result.error, result.errorKind], [false, null, 'Timeout', 'timeout']);
    assert.ok(result.durationMs >= 140, String(result.durationMs));
    assert.equal(receiver.received.length, 1);
  });

  it('stops when its signal aborts', async () => {
    receiver = await startReceiver(() => 'hang');
    const controller = new AbortController();
    const pending = deliver({ url: receiver.url, body: '{}', timeoutMs: 10_000, signal: controller.signal }, loopbackGuard);
    await receiver.waitFor(1);
    controller.abort();
    const result = await pending;
    assert.deepEqual([result.ok, result.error, result.errorKind], [false, 'Aborted', 'aborted']);
  });

  it('reports a refused connection as a transport error', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as net.AddressInfo;
    probe.close();
    await once(probe, 'close');
    const result = await deliver({ url: `http://127.0.0.1:${port}/`, body: '{}', timeoutMs: 5000 }, loopbackGuard);
    assert.equal(result.errorKind, 'transport');
    assert.match(String(result.error), /^Transport error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('reports a header Node refuses to send as an invalid request, without connecting', async () => {
    receiver = await startReceiver();
    const result = await deliver({ url: receiver.url, headers: { 'x-event': 'a\r\nInjected: 1' }, body: '{}', timeoutMs: 1000 }, loopbackGuard);
    assert.equal(result.errorKind, 'invalid_request');
    assert.match(String(result.error), /^Invalid request: Invalid character in header content \["x-event"\]$/);
    assert.equal(receiver.received.length, 0);
  });

  it('reports a URL that does not parse', async () => {
    const result = await deliver({ url: 'http://', body: '{}', timeoutMs: 1000 }, loopbackGuard);
    assert.deepEqual([result.ok, result.error, result.errorKind], [false, 'Invalid URL', 'invalid_url']);
  });
});
