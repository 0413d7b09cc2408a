import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import readline from 'node:readline';
import WebSocket from 'ws';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(url, options);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

describe('webmacs stream backpressure (spec §3.15)', () => {
  let wm: WebmacsHarness;
  let base: string;
  let operator: string;
  let events: string[];

  before(async () => {
    wm = await startWebmacs({
      env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_BROADCAST_INTERVAL_MS: '0', WEBMACS_WS_MAX_BUFFERED_BYTES: '65536' },
    });
    base = (await wm.server.listen()).replace(/^http/, 'ws');
    operator = (await wm.userWithRole('operator')).token;
    const event = (name: string) =>
      wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 1 } }).then((r) => r.json().public_id as string);
    events = [await event('BP one'), await event('BP two')];
  });
  after(() => wm.dispose());

  it('§12.110 a socket that stops reading is closed 1013 Slow consumer while others keep receiving', async () => {
    const slow = await open(`${base}/ws/datapoints/stream?token=${operator}`);
    const healthy = await open(`${base}/ws/datapoints/stream?token=${operator}`);
    let healthyBatches = 0;
    healthy.socket.on('message', (data) => {
      if (JSON.parse(data.toString()).type === 'datapoints_batch') healthyBatches += 1;
    });
    const raw = (slow.socket as unknown as { _socket: Socket })._socket;
    raw.pause();
    const batch = { datapoints: Array.from({ length: 500 }, (_, i) => ({ value: i / 1000, event_public_id: events[i % 2]! })) };
    // ~40 KB per broadcast: enough to fill the loopback buffers and then the 64 KiB server-side limit
    for (let sent = 0; sent < 80; sent++) await wm.request({ method: 'POST', url: '/api/v1/datapoints/batch', token: operator, payload: batch });
    raw.resume();
    assert.deepEqual(await slow.closed, { code: 1013, reason: 'Slow consumer' });
    assert.ok(healthyBatches > 0);
    assert.equal(healthy.socket.readyState, WebSocket.OPEN);
    healthy.socket.close();
  });
});

describe('webmacs stream backpressure at the default 1 MiB (spec §3.15, §8)', () => {
  const LIMIT = 2 ** 20;
  let wm: WebmacsHarness;
  let operator: string;
  let event: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_BROADCAST_INTERVAL_MS: '0' } });
    operator = (await wm.userWithRole('operator')).token;
    const res = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { name: 'BP stalled', type: 'sensor', unit: 'u', min_value: 0, max_value: 1 } });
    event = res.json().public_id as string;
  });
  after(() => wm.dispose());

  it('§12.110 a client that really stops reading is closed 1013 once more than 1 MiB is buffered, not before', async () => {
    const base = await wm.server.listen();
    // a raw TCP client with a 4 KiB receive buffer and an Ethernet MSS, so the kernels hold little of what it does not read
    const stalled = spawn('/usr/bin/python3', [new URL('./slow-stream-clients.py', import.meta.url).pathname, base, operator, '1', String(LIMIT)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: stalled.stdout });
    await once(lines, 'line');
    const healthy = await open(`${base.replace(/^http/, 'ws')}/ws/datapoints/stream?token=${operator}`);
    let healthyBatches = 0;
    // sent once the server has added the socket to the stream, so it misses no broadcast
    const subscribed = new Promise<void>((resolve) =>
      healthy.socket.on('message', (data) => {
        const { type } = JSON.parse(data.toString()) as { type: string };
        if (type === 'connected') resolve();
        if (type === 'datapoints_batch') healthyBatches += 1;
      }),
    );
    await subscribed;
    // ~80 KB per broadcast; 20 of them are well past the limit
    const batch = { datapoints: Array.from({ length: 500 }, (_, i) => ({ value: i / 1000, event_public_id: event })) };
    for (let sent = 0; sent < 20; sent++) await wm.request({ method: 'POST', url: '/api/v1/datapoints/batch', token: operator, payload: batch });
    stalled.stdin.write('resume\n');
    const [line] = (await once(lines, 'line')) as [string];
    stalled.kill();
    const [close] = (JSON.parse(line) as { closes: Array<{ code: number; unreadBytesAtClose: number }> }).closes;
    assert.equal(close?.code, 1013);
    // what the client never read: the server's buffer past the limit, one more broadcast at most, and what the kernels hold
    assert.ok(close.unreadBytesAtClose > LIMIT && close.unreadBytesAtClose < LIMIT + 256 * 1024, String(close.unreadBytesAtClose));
    for (const deadline = Date.now() + 10_000; healthyBatches < 20 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(healthyBatches, 20, 'the reading socket got every broadcast');
    assert.equal(healthy.socket.readyState, WebSocket.OPEN);
    healthy.socket.close();
  });
});

describe('webmacs stream heartbeats (spec §3.15)', () => {
  let wm: WebmacsHarness;
  let base: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_WS_HEARTBEAT_INTERVAL: '1' } });
    base = (await wm.server.listen()).replace(/^http/, 'ws');
  });
  after(() => wm.dispose());

  it('§12.112 a client that never answers pings is terminated', async () => {
    const silent = await open(`${base}/ws/datapoints/stream?token=${await wm.adminToken()}`, { autoPong: false });
    const { code } = await silent.closed;
    assert.equal(code, 1006);
  });
});
