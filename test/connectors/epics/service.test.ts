import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EpicsError,
  EpicsService,
  PVA_UNSUPPORTED_MESSAGE,
  parseAddress,
  type PvMetadata,
  type PvReading,
} from '../../../src/connectors/epics/index.ts';
import { DBF_DOUBLE, ECA_NOWTACCESS, ECA_PUTFAIL, ECA_TIMEOUT } from '../../../src/connectors/epics/ca/constants.ts';
import { startTestIoc, type TestIoc } from './client-harness.ts';

const PAIRS = 1000;
let harness: TestIoc;
let service: EpicsService;

before(async () => {
  harness = await startTestIoc({ pairs: PAIRS });
  service = new EpicsService({ context: harness.context() });
});

after(async () => {
  await service.close();
  await harness.close();
});

function setpoint(i: number): number {
  return (i % 1000) / 10;
}

test('parseAddress tells Channel Access from pvAccess and rejects other schemes', () => {
  assert.deepEqual(parseAddress('ca://SR:C01:BPM:X'), { protocol: 'ca', name: 'SR:C01:BPM:X' });
  assert.deepEqual(parseAddress('SR:C01:BPM:X'), { protocol: 'ca', name: 'SR:C01:BPM:X' });
  assert.deepEqual(parseAddress('  CA://A:B  '), { protocol: 'ca', name: 'A:B' });
  assert.deepEqual(parseAddress('pva://SR:IMG'), { protocol: 'pva', name: 'SR:IMG' });
  assert.throws(() => parseAddress('http://x'), /^Error: unsupported address scheme 'http:\/\/' in "http:\/\/x"$/);
  assert.throws(() => parseAddress('ca://'), /^Error: invalid PV address "ca:\/\/"$/);
  assert.throws(() => parseAddress(''), /^Error: invalid PV address ""$/);
  assert.throws(() => parseAddress('A B'), /^Error: invalid PV address "A B"$/);
});

test('getMany reads 2,000 PVs with TIME and CTRL, results in input order', async () => {
  const addresses = Array.from({ length: PAIRS }, (_, i) => [`T:${i + 1}:SP`, `ca://T:${i + 1}:RB`]).flat();
  const progress: number[] = [];
  const results = await service.getMany(addresses, { control: true, concurrency: 500, onProgress: (done) => progress.push(done) });
  assert.equal(results.length, 2000);
  assert.ok(results.every((result) => result.ok), JSON.stringify(results.find((result) => !result.ok)));
  for (let i = 0; i < PAIRS; i++) {
    const reading: PvReading = (results[2 * i] as { ok: true; reading: PvReading }).reading;
    assert.equal(reading.value, setpoint(i + 1));
    assert.equal(reading.nativeType, DBF_DOUBLE);
    assert.deepEqual([reading.units, reading.precision, reading.limits?.upperCtrlLimit], ['A', 3, 1000]);
    assert.ok(reading.stamp && reading.stamp.secPastEpoch > 0);
  }
  assert.equal(progress.length, 2000);
  assert.equal(progress.at(-1), 2000);
});

test('getMany reports each failure in place: unknown names share one connect timeout, pva and bad addresses fail at once', async () => {
  const unknown = Array.from({ length: 10 }, (_, i) => `T:MISSING:${i}`);
  const started = performance.now();
  const results = await service.getMany(['T:5:SP', ...unknown, 'pva://T:5:SP', 'ftp://x', 'T:5:SP'], { connectTimeoutMs: 500, concurrency: 1 });
  // one at a time, ten unknown names would take 5 s if each waited its own timeout
  assert.ok(performance.now() - started < 3000);
  assert.deepEqual(results[0], results.at(-1));
  assert.equal((results[0] as { ok: true; reading: PvReading }).reading.value, 0.5);
  for (const result of results.slice(1, 11)) {
    assert.deepEqual(result, { ok: false, error: 'Channel not found within 0.5 s', status: ECA_TIMEOUT });
  }
  assert.deepEqual(results[11], { ok: false, error: PVA_UNSUPPORTED_MESSAGE });
  assert.deepEqual(results[12], { ok: false, error: `unsupported address scheme 'ftp://' in "ftp://x"` });
});

test('getOne gives a scalar for a scalar PV, an array for a waveform, and throws EpicsError on failure', async () => {
  const scalar = await service.getOne('T:7:SP', { control: true });
  assert.equal(scalar.value, 0.7);
  assert.equal(scalar.units, 'A');
  const waveform = await service.getOne('ca://T:WF', { type: 'plain' });
  assert.ok(Array.isArray(waveform.value));
  assert.equal(waveform.count, 1024);
  assert.equal(waveform.stamp, null);
  const enumReading = await service.getOne('T:ENUM', { control: true });
  assert.deepEqual([enumReading.value, enumReading.enumStrings], [0, ['Off', 'On', 'Standby']]);
  await assert.rejects(service.getOne('T:NOWHERE', { connectTimeoutMs: 200 }), (err: unknown) => {
    assert.ok(err instanceof EpicsError);
    assert.deepEqual([err.message, err.status], ['Channel not found within 0.2 s', ECA_TIMEOUT]);
    return true;
  });
  await assert.rejects(service.getOne('pva://T:7:SP'), new EpicsError(PVA_UNSUPPORTED_MESSAGE));
});

test('putMany writes 2,000 values with put-callback and reports refusals per PV', async () => {
  const writes = Array.from({ length: PAIRS }, (_, i) => ({ address: `T:${i + 1}:SP`, value: i + 0.25 }));
  writes.push({ address: 'T:RO', value: 1 }, { address: 'T:REJECT', value: 1 }, { address: 'T:ENUM', value: 'On' } as never);
  const results = await service.putMany(writes, { concurrency: 1000 });
  assert.ok(results.slice(0, PAIRS).every((result) => result.ok), JSON.stringify(results.find((result) => !result.ok)));
  for (let i = 0; i < PAIRS; i += 97) assert.deepEqual(harness.ioc.database.get(`T:${i + 1}:SP`)!.value, [i + 0.25]);
  assert.deepEqual(results.slice(PAIRS), [
    { ok: false, error: 'ECA_NOWTACCESS: Write access denied (T:RO)', status: ECA_NOWTACCESS },
    { ok: false, error: 'ECA_PUTFAIL: Channel write request failed (T:REJECT)', status: ECA_PUTFAIL },
    { ok: true },
  ]);
  assert.deepEqual(await service.putMany([{ address: 'T:GONE', value: 1 }], { connectTimeoutMs: 300 }), [
    { ok: false, error: 'Channel not found within 0.3 s', status: ECA_TIMEOUT },
  ]);
  assert.deepEqual(harness.ioc.database.get('T:ENUM')!.value, [1]);
});

test('putMany stops sending once its signal is aborted; writes already sent complete', async () => {
  const controller = new AbortController();
  const writes = Array.from({ length: 5 }, (_, i) => ({ address: `T:${i + 1}:SP`, value: 500 + i }));
  const results = await service.putMany(writes, {
    concurrency: 1,
    signal: controller.signal,
    onProgress: (done) => done === 2 && controller.abort(),
  });
  assert.deepEqual(results, [{ ok: true }, { ok: true }, ...Array(3).fill({ ok: false, error: 'cancelled before it was sent' })]);
  assert.deepEqual(harness.ioc.database.get('T:2:SP')!.value, [501]);
  assert.deepEqual(harness.ioc.database.get('T:3:SP')!.value, [2.25]);
});

test('a monitor reports connections and values with CTRL metadata, survives an IOC restart, and is released on close', async () => {
  const readings: PvReading[] = [];
  const connections: [boolean, string | undefined][] = [];
  let notify: (() => void) | undefined;
  const next = (predicate: () => boolean) =>
    predicate() ? Promise.resolve() : new Promise<void>((resolve) => (notify = () => predicate() && resolve()));
  const metadata: PvMetadata[] = [];
  const monitor = service.monitor('ca://T:9:SP', {
    onValue: (reading) => (readings.push(reading), notify?.()),
    onConnection: (connected, reason) => (connections.push([connected, reason]), notify?.()),
    onMetadata: (received) => (metadata.push(received), notify?.()),
  });
  await next(() => readings.length > 0 && metadata.length > 0);
  assert.deepEqual([metadata[0]!.units, metadata[0]!.precision, metadata[0]!.limits?.upperCtrlLimit], ['A', 3, 1000]);
  await service.putMany([{ address: 'T:9:SP', value: 9.5 }]);
  await next(() => readings.some((reading) => reading.value === 9.5));
  const latest = readings.at(-1)!;
  assert.deepEqual([latest.value, latest.units, latest.precision, latest.severity], [9.5, 'A', 3, 0]);

  const searchesBefore = harness.ioc.stats().searchesAnswered;
  const [direct] = await service.getMany(['T:9:SP']);
  assert.ok(direct!.ok);
  assert.equal(harness.ioc.stats().searchesAnswered, searchesBefore, 'the monitored channel was reused');

  await harness.ioc.restart();
  await next(() => connections.length >= 3 && metadata.length >= 2);
  assert.deepEqual(connections, [[true, undefined], [false, `127.0.0.1:${harness.ioc.port}: connection closed by the server`], [true, undefined]]);
  await service.putMany([{ address: 'T:9:SP', value: 19.5 }]);
  await next(() => readings.some((reading) => reading.value === 19.5));

  monitor.close();
  monitor.close();
  const count = readings.length;
  await service.putMany([{ address: 'T:9:SP', value: 29.5 }]);
  await service.getOne('T:9:SP');
  assert.equal(readings.length, count);
});

test('a pva:// monitor reports the unsupported protocol at once', () => {
  const connections: [boolean, string | undefined][] = [];
  const monitor = service.monitor('pva://T:1:SP', { onValue: () => assert.fail('no value expected'), onConnection: (c, r) => connections.push([c, r]) });
  assert.deepEqual(connections, [[false, PVA_UNSUPPORTED_MESSAGE]]);
  monitor.close();
});

test('a service configured from an application-prefixed environment owns its context and closes it', async () => {
  const own = new EpicsService({
    env: {
      EPICS_CA_ADDR_LIST: '127.0.0.1:1',
      SQUIRREL_EPICS_CA_ADDR_LIST: `127.0.0.1:${harness.ioc.port}`,
      SQUIRREL_EPICS_CA_AUTO_ADDR_LIST: 'NO',
      SQUIRREL_EPICS_CA_REPEATER_PORT: String(harness.repeaterPort),
    },
    overridePrefix: 'SQUIRREL_',
  });
  assert.deepEqual(own.context.config.addressList, [{ host: '127.0.0.1', port: harness.ioc.port }]);
  assert.equal((await own.getOne('T:LONG')).value, 42);
  await own.close();
  assert.throws(() => own.context.channel('T:LONG'), /context is closed/);
});
