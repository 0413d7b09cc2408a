import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { CaStatusError, decodeDatagram, encodeMessage, searchResponse } from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_SEARCH, ECA_DISCONN } from '../../../src/connectors/epics/ca/constants.ts';
import type { CaReading, Channel } from '../../../src/connectors/epics/ca/client/index.ts';
import { startTestIoc, type TestIoc } from './client-harness.ts';

/** the values a monitor delivers, and a way to wait for one */
function watch(channel: Channel) {
  const values: unknown[] = [];
  const waiters: { predicate: (value: unknown) => boolean; resolve: () => void }[] = [];
  const subscription = channel.subscribe((reading: CaReading) => {
    values.push(reading.value[0]);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(reading.value[0])) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return {
    values,
    subscription,
    until(value: unknown): Promise<void> {
      if (values.includes(value)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate: (v) => v === value, resolve }));
    },
  };
}

async function withIoc(fn: (harness: TestIoc) => Promise<void>, options?: Parameters<typeof startTestIoc>[0]): Promise<void> {
  const harness = await startTestIoc(options);
  try {
    await fn(harness);
  } finally {
    await harness.close();
  }
}

test('a dropped circuit fails pending operations with ECA_DISCONN; channels reconnect and monitors resume', () =>
  withIoc(async (harness) => {
    const context = harness.context();
    const channel = context.channel('T:1:SP');
    const monitor = watch(channel);
    await monitor.until(0.1);
    const events: string[] = [];
    channel.on('disconnect', (reason) => events.push(`disconnect: ${reason}`));
    channel.on('connect', () => events.push('connect'));

    harness.ioc.server.setFrozen(true);
    const pending = channel.get();
    harness.ioc.drop();
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof CaStatusError);
      assert.equal(err.status, ECA_DISCONN);
      assert.match(err.message, /^ECA_DISCONN: Virtual circuit disconnect \(T:1:SP: 127\.0\.0\.1:\d+: connection closed by the server\)$/);
      return true;
    });
    assert.equal(channel.connected, false);
    harness.ioc.server.setFrozen(false);

    await once(channel, 'connect');
    assert.deepEqual(events, [`disconnect: 127.0.0.1:${harness.ioc.port}: connection closed by the server`, 'connect']);
    await channel.putCallback(21);
    await monitor.until(21);
    assert.deepEqual(monitor.values, [0.1, 0.1, 21]);
  }));

test('an IOC restarted on the same port: channels reconnect and monitors resume without caller action', () =>
  withIoc(async (harness) => {
    const context = harness.context();
    const channels = ['T:1:SP', 'T:2:SP', 'T:3:SP'].map((name) => context.channel(name));
    const monitors = channels.map(watch);
    await Promise.all(monitors.map((monitor, i) => monitor.until((i + 1) / 10)));

    const disconnected = Promise.all(channels.map((channel) => once(channel, 'disconnect')));
    await harness.ioc.restart();
    await disconnected;
    await Promise.all(channels.map((channel) => channel.waitConnected()));

    await Promise.all(channels.map((channel, i) => channel.putCallback(100 + i)));
    await Promise.all(monitors.map((monitor, i) => monitor.until(100 + i)));
    assert.equal(context.stats.circuits, 1);
    assert.equal(harness.ioc.stats().subscriptions, 3);
  }));

test('a PV removed from the server and added back: the channel is told, searches again and resumes', () =>
  withIoc(async (harness) => {
    const context = harness.context();
    const channel = context.channel('T:LONG');
    const monitor = watch(channel);
    await monitor.until(42);

    const disconnected = once(channel, 'disconnect');
    harness.ioc.remove('T:LONG');
    assert.deepEqual(await disconnected, ['T:LONG: the server disconnected the channel']);
    assert.equal(channel.state, 'searching');

    harness.ioc.add({ name: 'T:LONG', type: 'long', value: 7 });
    await once(channel, 'connect');
    await monitor.until(7);
    assert.deepEqual(monitor.values, [42, 7]);
  }));

test('a server that goes silent is probed with ECHO and dropped; its channels come back once it answers', () =>
  withIoc(async (harness) => {
    const context = harness.context({ connectionTimeoutMs: 500, echoTimeoutMs: 500 });
    const channel = context.channel('T:2:SP');
    const monitor = watch(channel);
    await monitor.until(0.2);

    harness.ioc.server.setFrozen(true);
    const [reason] = (await once(channel, 'disconnect')) as [string];
    assert.equal(reason, `127.0.0.1:${harness.ioc.port}: no reply to ECHO within 0.5 s`);
    harness.ioc.server.setFrozen(false);

    await once(channel, 'connect');
    await channel.putCallback(3);
    await monitor.until(3);
  }));

test('a beacon from a new or restarted server makes names not yet found searched again', () =>
  withIoc(
    async (harness) => {
      const context = harness.context();
      const late = context.channel('T:LATE');
      await late.waitConnected({ timeoutMs: 500 }).catch(() => {});
      const server = `127.0.0.1:${harness.ioc.port}`;
      assert.ok(harness.log.debug.some((line) => line.startsWith(`CA beacon anomaly (new-server) from ${server}`)));

      harness.ioc.add({ name: 'T:LATE', type: 'double', value: 1.5 });
      await harness.ioc.restart();
      await late.waitConnected({ timeoutMs: 5000 });
      assert.ok(harness.log.debug.some((line) => line.startsWith(`CA beacon anomaly (restarted) from ${server}`)));
      assert.deepEqual((await late.get()).value, [1.5]);
    },
    { beaconPeriodMs: 200 },
  ));

test('when two servers answer for one name, the first reply wins and the other is logged', async () => {
  const first = await startTestIoc();
  const second = await startTestIoc();
  try {
    const context = first.context({
      addressList: [
        { host: '127.0.0.1', port: first.ioc.port },
        { host: '127.0.0.1', port: second.ioc.port },
      ],
    });
    const channel = context.channel('T:1:SP');
    await channel.waitConnected();
    await channel.get();
    const servers = [`127.0.0.1:${first.ioc.port}`, `127.0.0.1:${second.ioc.port}`];
    const chosen = channel.server!;
    const other = servers.find((server) => server !== chosen)!;
    assert.ok(servers.includes(chosen));
    assert.ok(first.log.warn.includes(`T:1:SP: also served by ${other}; keeping ${chosen} (first reply wins)`), first.log.warn.join('\n'));
  } finally {
    await first.close();
    await second.close();
  }
});

test('malformed frames from a server close that circuit only, and its channels search again', async () => {
  const good = await startTestIoc();
  const tcp = net.createServer();
  const connections: net.Socket[] = [];
  const garbage = [
    encodeMessage({ command: 0xbeef }),
    // an extended header announcing 256 MiB, over EPICS_CA_MAX_ARRAY_BYTES
    Buffer.from([0, 1, 0xff, 0xff, 0, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0, 0, 0, 0, 0, 0, 1]),
  ];
  tcp.on('connection', (socket) => {
    connections.push(socket);
    socket.on('error', () => {});
    socket.once('data', () => socket.write(garbage[Math.min(connections.length, garbage.length) - 1]!));
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const udp = dgram.createSocket('udp4');
  udp.on('message', (datagram, from) => {
    for (const message of decodeDatagram(datagram)) {
      if (message.command === CA_PROTO_SEARCH && message.payload.toString().startsWith('BAD:PV')) {
        udp.send(searchResponse({ port: (tcp.address() as net.AddressInfo).port, cid: message.p1 }), from.port, from.address);
      }
    }
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  try {
    const context = good.context({
      addressList: [
        { host: '127.0.0.1', port: udp.address().port },
        { host: '127.0.0.1', port: good.ioc.port },
      ],
    });
    const healthy = context.channel('T:1:SP');
    await healthy.waitConnected();
    const bad = context.channel('BAD:PV');
    while (good.log.warn.filter((line) => line.includes('protocol error')).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const warnings = good.log.warn.filter((line) => line.includes('protocol error'));
    assert.match(warnings[0]!, /^127\.0\.0\.1:\d+: closing circuit after a protocol error: unexpected CMD_48879 from the server$/);
    assert.match(warnings[1]!, /closing circuit after a protocol error: message announces 268435456 payload bytes, over the \d+-byte limit/);
    assert.ok(connections.length >= 2);
    assert.notEqual(bad.state, 'connected');
    assert.equal(healthy.state, 'connected');
    assert.deepEqual((await healthy.get()).value, [0.1]);
    bad.close();
  } finally {
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => tcp.close(resolve));
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    await good.close();
  }
});

test('a server that answers the search but refuses the circuit is asked again with backoff, not in a loop', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const refusedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  let searches = 0;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (datagram, from) => {
    for (const message of decodeDatagram(datagram)) {
      if (message.command !== CA_PROTO_SEARCH) continue;
      searches++;
      udp.send(searchResponse({ port: refusedPort, cid: message.p1 }), from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const harness = await startTestIoc();
  try {
    const context = harness.context({ addressList: [{ host: '127.0.0.1', port: udp.address().port }] });
    const channel = context.channel('REFUSED:PV');
    await assert.rejects(channel.waitConnected({ timeoutMs: 1000 }), /REFUSED:PV: channel not (found|connected) within 1 s/);
    // backing off from 50 ms, one second holds about six rounds; a loop would make thousands
    assert.ok(searches >= 2 && searches <= 12, `${searches} searches in 1 s`);
    channel.close();
  } finally {
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    await harness.close();
  }
});
