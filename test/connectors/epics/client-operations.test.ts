import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CaStatusError } from '../../../src/connectors/epics/ca/codec.ts';
import {
  DBE_ALARM,
  DBE_VALUE,
  DBF_CHAR,
  DBF_DOUBLE,
  DBF_ENUM,
  DBF_FLOAT,
  DBF_LONG,
  DBF_SHORT,
  DBF_STRING,
  DBR_LONG,
  DBR_STRING,
  DBR_TIME_DOUBLE,
  ECA_BADSTR,
  ECA_BADTYPE,
  ECA_CHANDESTROY,
  ECA_NOWTACCESS,
  ECA_PUTFAIL,
  ECA_TIMEOUT,
} from '../../../src/connectors/epics/ca/constants.ts';
import type { CaReading, Context } from '../../../src/connectors/epics/ca/client/index.ts';
import { freeUdpPort, startTestIoc, type TestIoc } from './client-harness.ts';

let harness: TestIoc;
let context: Context;

before(async () => {
  harness = await startTestIoc();
  context = harness.context();
});

after(async () => {
  await harness.close();
});

/** resolves with the next `count` readings a listener receives */
function collector() {
  const readings: CaReading[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  return {
    readings,
    listener: (reading: CaReading) => {
      readings.push(reading);
      if (waiting && readings.length >= waiting.count) waiting.resolve();
    },
    until(count: number): Promise<void> {
      if (readings.length >= count) return Promise.resolve();
      return new Promise((resolve) => (waiting = { count, resolve }));
    },
  };
}

function rejectsWithStatus(promise: Promise<unknown>, status: number, message: string | RegExp) {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CaStatusError, `expected CaStatusError, got ${String(err)}`);
    assert.equal(err.status, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('a channel connects and reports native type, count, server and access rights', async () => {
  const channel = context.channel('T:1:SP');
  await channel.waitConnected();
  assert.equal(channel.state, 'connected');
  assert.equal(channel.nativeType, DBF_DOUBLE);
  assert.equal(channel.nativeCount, 1);
  assert.equal(channel.server, `127.0.0.1:${harness.ioc.port}`);
  assert.deepEqual(channel.accessRights, { read: true, write: true });
  channel.close();
  assert.equal(channel.state, 'closed');
});

test('get returns every native type in the plain class', async () => {
  const cases: [string, number, (number | string)[]][] = [
    ['T:1:SP', DBF_DOUBLE, [0.1]],
    ['T:FLOAT', DBF_FLOAT, [1.5]],
    ['T:LONG', DBF_LONG, [42]],
    ['T:SHORT', DBF_SHORT, [7]],
    ['T:CHAR', DBF_CHAR, [65]],
    ['T:ENUM', DBF_ENUM, [0]],
    ['T:STR', DBF_STRING, ['hello']],
  ];
  for (const [name, nativeType, value] of cases) {
    const channel = context.channel(name);
    const reading = await channel.get();
    assert.equal(channel.nativeType, nativeType, name);
    assert.deepEqual(reading, { value, dbrType: nativeType, count: 1 }, name);
    channel.close();
  }
});

test('get in the TIME class carries the alarm and the time stamp of the value', async () => {
  const channel = context.channel('T:2:SP');
  harness.ioc.alarm('T:2:SP', 'HIHI', 'MAJOR');
  const before = Date.now() / 1000 - 631_152_000;
  const reading = await channel.get({ type: 'time' });
  assert.equal(reading.dbrType, DBR_TIME_DOUBLE);
  assert.deepEqual(reading.value, [0.2]);
  assert.equal(reading.status, 3);
  assert.equal(reading.severity, 2);
  assert.ok(reading.stamp!.secPastEpoch > before - 60 && reading.stamp!.secPastEpoch < before + 60, 'stamp is recent');
  harness.ioc.alarm('T:2:SP', 0, 0);
  channel.close();
});

test('get in the CTRL class carries units, precision, limits and enum labels', async () => {
  const setpoint = context.channel('T:1:SP');
  const control = await setpoint.get({ type: 'ctrl' });
  assert.equal(control.units, 'A');
  assert.equal(control.precision, 3);
  assert.deepEqual(
    [control.limits?.upperCtrlLimit, control.limits?.lowerCtrlLimit, control.limits?.upperAlarmLimit, control.limits?.lowerWarningLimit],
    [1000, -1000, 900, -800],
  );
  const enumChannel = context.channel('T:ENUM');
  const enumControl = await enumChannel.get({ type: 'ctrl' });
  assert.deepEqual(enumControl.enumStrings, ['Off', 'On', 'Standby']);
  setpoint.close();
  enumChannel.close();
});

test('get converts to a requested DBR type as the server converts', async () => {
  const long = context.channel('T:LONG');
  assert.deepEqual((await long.get({ type: DBR_STRING })).value, ['42']);
  const enumChannel = context.channel('T:ENUM');
  assert.deepEqual((await enumChannel.get({ type: DBR_STRING })).value, ['Off']);
  const double = context.channel('T:1:SP');
  assert.deepEqual((await double.get({ type: DBR_LONG })).value, [0]);
  for (const channel of [long, enumChannel, double]) channel.close();
});

test('a 1,024-element waveform is read whole, and a count asks for its first elements', async () => {
  const channel = context.channel('T:WF');
  const whole = await channel.get();
  assert.equal(channel.nativeCount, 1024);
  assert.equal(whole.count, 1024);
  assert.equal(whole.value.length, 1024);
  const first = await channel.get({ count: 10 });
  assert.deepEqual(first.value, whole.value.slice(0, 10));
  channel.close();
});

test('putCallback writes every type and get reads the value back', async () => {
  const cases: [string, number | string | number[], (number | string)[]][] = [
    ['T:3:SP', 12.5, [12.5]],
    ['T:FLOAT', 2.25, [2.25]],
    ['T:LONG', -5, [-5]],
    ['T:SHORT', 300, [300]],
    ['T:CHAR', 66, [66]],
    ['T:ENUM', 'Standby', [2]],
    ['T:ENUM', 1, [1]],
    ['T:STR', 'world', ['world']],
    ['T:3:SP', '7.25', [7.25]],
    ['T:WF', [1, 2, 3], [1, 2, 3]],
  ];
  for (const [name, value, expected] of cases) {
    const channel = context.channel(name);
    await channel.putCallback(value);
    assert.deepEqual((await channel.get()).value, expected, `${name} ← ${JSON.stringify(value)}`);
    channel.close();
  }
});

test('put without confirmation reaches the server', async () => {
  const channel = context.channel('T:2:SP');
  const updates = collector();
  channel.subscribe(updates.listener, { type: 'plain' });
  await updates.until(1);
  await channel.put(99.5);
  await updates.until(2);
  assert.deepEqual(updates.readings[1]!.value, [99.5]);
  channel.close();
});

test('a write the server refuses rejects with its ECA status and the CA message', async () => {
  const channel = context.channel('T:REJECT');
  await rejectsWithStatus(channel.putCallback(1), ECA_PUTFAIL, /^ECA_PUTFAIL: Channel write request failed/);
  channel.close();
});

test('a write to a read-only PV is refused locally with ECA_NOWTACCESS', async () => {
  const channel = context.channel('T:RO');
  await channel.waitConnected();
  assert.deepEqual(channel.accessRights, { read: true, write: false });
  await rejectsWithStatus(channel.putCallback(1), ECA_NOWTACCESS, 'ECA_NOWTACCESS: Write access denied (T:RO)');
  await rejectsWithStatus(channel.put(1), ECA_NOWTACCESS, 'ECA_NOWTACCESS: Write access denied (T:RO)');
  assert.deepEqual((await channel.get()).value, [3.14159]);
  channel.close();
});

test('values that cannot be written are refused with the ECA status that says why', async () => {
  const text = context.channel('T:STR');
  await rejectsWithStatus(text.putCallback('x'.repeat(40)), ECA_BADSTR, /^ECA_BADSTR: Invalid string/);
  const double = context.channel('T:3:SP');
  await rejectsWithStatus(double.putCallback('not a number'), ECA_BADTYPE, /^ECA_BADTYPE/);
  await rejectsWithStatus(double.putCallback([1, 'two'] as unknown as number[]), ECA_BADTYPE, /mixes text and numbers/);
  text.close();
  double.close();
});

test('a PV that never exists times out with a clear error', async () => {
  const channel = context.channel('T:DOES-NOT-EXIST');
  await rejectsWithStatus(
    channel.waitConnected({ timeoutMs: 300 }),
    ECA_TIMEOUT,
    'ECA_TIMEOUT: User specified timeout on IO operation expired (T:DOES-NOT-EXIST: channel not found within 0.3 s)',
  );
  await rejectsWithStatus(channel.get({ timeoutMs: 200 }), ECA_TIMEOUT, /T:DOES-NOT-EXIST: channel not found within 0.2 s/);
  assert.equal(channel.state, 'searching');
  channel.close();
});

test('a monitor delivers the current value, then each change, in the requested class', async () => {
  const channel = context.channel('T:1:SP');
  const updates = collector();
  const subscription = channel.subscribe(updates.listener, { type: 'time', mask: DBE_VALUE | DBE_ALARM });
  await updates.until(1);
  assert.equal(updates.readings[0]!.dbrType, DBR_TIME_DOUBLE);
  await channel.putCallback(5);
  await updates.until(2);
  assert.deepEqual(updates.readings[1]!.value, [5]);
  harness.ioc.alarm('T:1:SP', 'STATE', 'MINOR');
  await updates.until(3);
  assert.deepEqual([updates.readings[2]!.status, updates.readings[2]!.severity], [7, 1]);
  harness.ioc.alarm('T:1:SP', 0, 0);
  await updates.until(4);
  subscription.cancel();
  channel.close();
});

test('a monitor of a waveform follows its element count, down to an empty array', async () => {
  const channel = context.channel('T:WF');
  const updates = collector();
  channel.subscribe(updates.listener, { type: 'plain' });
  await updates.until(1);
  harness.ioc.set('T:WF', [4, 5]);
  await updates.until(2);
  harness.ioc.set('T:WF', []);
  await updates.until(3);
  assert.deepEqual(
    updates.readings.slice(1).map((reading) => [reading.count, reading.value]),
    [
      [2, [4, 5]],
      [0, []],
    ],
  );
  channel.close();
});

test('a VALUE-only monitor skips alarm changes, and a cancelled one gets nothing more', async () => {
  const channel = context.channel('T:2:SP');
  const valueOnly = collector();
  const cancelled = collector();
  const everything = collector();
  channel.subscribe(valueOnly.listener, { mask: DBE_VALUE });
  const toCancel = channel.subscribe(cancelled.listener);
  channel.subscribe(everything.listener, { mask: DBE_VALUE | DBE_ALARM });
  await Promise.all([valueOnly.until(1), cancelled.until(1), everything.until(1)]);
  toCancel.cancel();
  assert.equal(toCancel.cancelled, true);
  harness.ioc.alarm('T:2:SP', 'STATE', 'MINOR');
  await channel.putCallback(11);
  await everything.until(3);
  await valueOnly.until(2);
  assert.deepEqual(valueOnly.readings[1]!.value, [11]);
  assert.equal(valueOnly.readings[1]!.severity, 1);
  assert.equal(cancelled.readings.length, 1);
  harness.ioc.alarm('T:2:SP', 0, 0);
  channel.close();
});

test('a change of access rights arrives as an event and gates writes', async () => {
  const channel = context.channel('T:3:SP');
  await channel.waitConnected();
  const event = once(channel, 'accessRights');
  harness.ioc.access('T:3:SP', { write: false });
  assert.deepEqual(await event, [{ read: true, write: false }]);
  await rejectsWithStatus(channel.putCallback(1), ECA_NOWTACCESS, 'ECA_NOWTACCESS: Write access denied (T:3:SP)');
  harness.ioc.access('T:3:SP', { write: true });
  await once(channel, 'accessRights');
  await channel.putCallback(1);
  channel.close();
});

test('an aborted signal rejects the operation it was given', async () => {
  const channel = context.channel('T:1:SP');
  await channel.waitConnected();
  const aborted = AbortSignal.abort(new Error('caller gave up'));
  await assert.rejects(channel.get({ signal: aborted }), /caller gave up/);
  const missing = context.channel('T:NOPE');
  const controller = new AbortController();
  const waiting = missing.waitConnected({ signal: controller.signal, timeoutMs: 10_000 });
  controller.abort(new Error('stop waiting'));
  await assert.rejects(waiting, /stop waiting/);
  channel.close();
  missing.close();
});

test('closing a channel fails what waits on it with ECA_CHANDESTROY and clears it on the server', async () => {
  const missing = context.channel('T:NOPE');
  const waiting = missing.waitConnected({ timeoutMs: 10_000 });
  missing.close();
  await rejectsWithStatus(waiting, ECA_CHANDESTROY, 'ECA_CHANDESTROY: User destroyed channel (T:NOPE)');
  await rejectsWithStatus(missing.get(), ECA_CHANDESTROY, 'ECA_CHANDESTROY: User destroyed channel (T:NOPE)');
  assert.throws(() => missing.subscribe(() => {}), CaStatusError);

  const keep = context.channel('T:1:SP');
  const closing = context.channel('T:2:SP');
  await Promise.all([keep.waitConnected(), closing.waitConnected()]);
  const channelsBefore = harness.ioc.stats().channels;
  closing.close();
  await keep.get();
  assert.equal(harness.ioc.stats().channels, channelsBefore - 1);
  keep.close();
});

test('closing a context leaves no channel, circuit, socket or timer behind: its process exits by itself', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./client-shutdown-child.ts', import.meta.url))], {
    env: {
      ...process.env,
      EPICS_CA_ADDR_LIST: `127.0.0.1:${harness.ioc.port}`,
      EPICS_CA_AUTO_ADDR_LIST: 'NO',
      EPICS_CA_REPEATER_PORT: String(await freeUdpPort()),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill(), 15_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  assert.deepEqual([code, signal], [0, null], 'the child exited on its own');
  assert.deepEqual(JSON.parse(output), {
    counts: [1, 1],
    statsOpen: { channels: 3, connected: 2, searching: 1, circuits: 1 },
    statsClosed: { channels: 0, connected: 0, searching: 0, circuits: 0 },
    pending: 'ECA_CHANDESTROY: User destroyed channel (T:NOPE)',
  });
});
