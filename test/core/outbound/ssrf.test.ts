import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type dns from 'node:dns';
import { addressScope, createSsrfGuard, SsrfBlockedError } from '../../../src/core/outbound/index.ts';

describe('addressScope', () => {
  const table: Array<[string, string | undefined]> = [
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'forbidden'],
    ['169.254.0.1', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['fe80::1%eth0', 'forbidden'],
    ['febf::1', 'forbidden'],
    ['100.64.0.1', 'forbidden'],
    ['100.127.255.255', 'forbidden'],
    ['100.128.0.1', 'public'],
    ['100.100.100.200', 'forbidden'],
    ['0.0.0.0', 'forbidden'],
    ['0.1.2.3', 'forbidden'],
    ['::', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['239.255.255.250', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'forbidden'],
    ['::169.254.169.254', 'forbidden'],
    ['64:ff9b::169.254.169.254', 'forbidden'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:a9fe:a9fe::1', 'forbidden'],
    ['2002:7f00:1::1', 'loopback'],
    ['2001:4860:4860::8888', 'public'],
    ['example.com', undefined],
    ['1.2.3', undefined],
    ['', undefined],
  ];
  for (const [address, scope] of table) {
    it(`classifies ${address || '(empty)'} as ${scope ?? 'not an address'}`, () => {
      assert.equal(addressScope(address), scope);
    });
  }
});

function assertBlocked(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof SsrfBlockedError);
}

describe('SSRF guard URL check', () => {
  it('blocks link-local, metadata and CGNAT literals whatever the options', () => {
    const permissive = createSsrfGuard({ allowLoopback: true, allowPrivate: true });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00:ec2::254]/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://224.0.0.1/',
    ]) {
      assertBlocked(() => permissive.checkUrl(url));
    }
  });

  it('blocks metadata host names, in any case and with a trailing dot', () => {
    const guard = createSsrfGuard({ allowLoopback: true, allowPrivate: true });
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.google.internal./', 'http://metadata/', 'http://instance-data/']) {
      assertBlocked(() => guard.checkUrl(url));
    }
  });

  it('normalises IPv4 shorthand before checking (WHATWG URL parsing)', () => {
    const guard = createSsrfGuard();
    for (const url of ['http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/', 'http://127.1/', 'http://0x7f000001/']) assertBlocked(() => guard.checkUrl(url));
  });

  it('allows loopback and private literals only when configured', () => {
    const strict = createSsrfGuard();
    assertBlocked(() => strict.checkUrl('http://127.0.0.1:8080/hook'));
    assertBlocked(() => strict.checkUrl('http://[::1]/'));
    assertBlocked(() => strict.checkUrl('http://10.0.0.5/'));
    assertBlocked(() => strict.checkUrl('http://192.168.1.10/'));
    const loopback = createSsrfGuard({ allowLoopback: true });
    assert.equal(loopback.checkUrl('http://127.0.0.1:8080/hook').port, '8080');
    assert.equal(loopback.checkUrl('http://[::1]/').hostname, '[::1]');
    assertBlocked(() => loopback.checkUrl('http://10.0.0.5/'));
    const privateNets = createSsrfGuard({ allowPrivate: true });
    assert.equal(privateNets.checkUrl('https://192.168.1.10/x').hostname, '192.168.1.10');
    assertBlocked(() => privateNets.checkUrl('http://127.0.0.1/'));
  });

  it('allows public addresses and names, and refuses other schemes', () => {
    const guard = createSsrfGuard();
    assert.equal(guard.checkUrl('https://hooks.example.com/argus').hostname, 'hooks.example.com');
    assert.equal(guard.checkUrl('http://93.184.216.34/').hostname, '93.184.216.34');
    assertBlocked(() => guard.checkUrl('ftp://example.com/'));
    assertBlocked(() => guard.checkUrl('file:///etc/passwd'));
    assert.throws(() => guard.checkUrl('not a url'), TypeError);
  });
});

function lookupAll(guard: ReturnType<typeof createSsrfGuard>, hostname: string, all: boolean) {
  return new Promise<{ err: Error | null; address: string | dns.LookupAddress[] }>((resolve) => {
    guard.lookup(hostname, { all }, (err, address) => resolve({ err, address }));
  });
}

describe('SSRF guard lookup', () => {
  it('refuses a name that resolves to loopback unless loopback is allowed', async () => {
    const refused = await lookupAll(createSsrfGuard(), 'localhost', false);
    assert.ok(refused.err instanceof SsrfBlockedError);
    const allowed = await lookupAll(createSsrfGuard({ allowLoopback: true }), 'localhost', false);
    assert.equal(allowed.err, null);
    assert.equal(addressScope(allowed.address as string), 'loopback');
  });

  it('hands back every checked address when asked for all', async () => {
    const { err, address } = await lookupAll(createSsrfGuard({ allowLoopback: true }), 'localhost', true);
    assert.equal(err, null);
    assert.ok(Array.isArray(address) && address.length >= 1);
    for (const entry of address) assert.equal(addressScope(entry.address), 'loopback');
  });

  it('refuses metadata names without resolving them', async () => {
    const { err } = await lookupAll(createSsrfGuard({ allowLoopback: true, allowPrivate: true }), 'metadata.google.internal', false);
    assert.ok(err instanceof SsrfBlockedError);
  });

  it('passes resolver failures through', async () => {
    const { err } = await lookupAll(createSsrfGuard(), 'does-not-exist.invalid', false);
    assert.ok(err && !(err instanceof SsrfBlockedError));
    // ENOTFOUND normally; EAI_AGAIN on a machine without a resolver.
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes((err as NodeJS.ErrnoException).code ?? ''), String(err));
  });
});
