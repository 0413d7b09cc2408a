/**
 * Channel Access in bulk: 10,000 PVs served by the soft IOC in this process. burrow's client connects,
 * reads DBR_TIME, writes with put-callback and subscribes to all of them; then npm `epics-tca` does the
 * same against the same IOC in the same run. Targets (issue #3): get < 2 s, put-callback < 3 s.
 *
 * The IOC runs on the main thread and each client in a worker thread of this process, so that no client
 * shares its event loop with the server and both are measured alike. epics-tca leaves handles open
 * after `destroyHard()`; terminating its worker is what ends it.
 */
import dgram from 'node:dgram';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Context as TcaContext, type Channel as TcaChannel } from 'epics-tca';
import { Context } from '../src/connectors/epics/ca/client/index.ts';
import { EpicsService } from '../src/connectors/epics/index.ts';
import { SoftIoc, type PvDefinition } from '../src/connectors/epics/softioc/index.ts';
import { recordResult } from './_support/results.ts';

const COUNT = 10_000;
const TIMEOUT_S = 60;
const TARGETS = { get: 2000, put: 3000 };

type Phases = { connect: number; get: number; put: number; monitor: number };
type ServiceFigures = { getMany: number; getManyWithCtrl: number; putMany: number };
interface ClientJob {
  client: 'burrow' | 'epics-tca';
  names: string[];
  port: number;
  repeaterPort: number;
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** resolves once `count` distinct channels have called `seen` */
function initialUpdates(count: number): { seen: (index: number) => void; all: Promise<void> } {
  const received = new Set<number>();
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  return {
    seen: (index) => {
      received.add(index);
      if (received.size === count) resolve();
    },
    all,
  };
}

async function burrowPhases(names: string[], port: number, repeaterPort: number): Promise<Phases> {
  const context = new Context({
    env: {},
    config: { addressList: [{ host: '127.0.0.1', port }], autoAddressList: false, repeaterPort },
    timeoutMs: TIMEOUT_S * 1000,
  });
  await context.ready;
  const channels = names.map((name) => context.channel(name));
  const phases = {
    connect: await timed(() => Promise.all(channels.map((channel) => channel.waitConnected()))),
    get: await timed(() => Promise.all(channels.map((channel) => channel.get({ type: 'time' })))),
    put: await timed(() => Promise.all(channels.map((channel, i) => channel.putCallback(i + 0.5)))),
    monitor: 0,
  };
  const updates = initialUpdates(names.length);
  phases.monitor = await timed(async () => {
    channels.forEach((channel, i) => channel.subscribe(() => updates.seen(i), { type: 'time' }));
    await updates.all;
  });
  await context.close();
  return phases;
}

/** the facade the app uses, from a cold context: search + connect + DBR_TIME (+ DBR_CTRL), and putMany */
async function serviceFigures(names: string[], port: number, repeaterPort: number): Promise<ServiceFigures> {
  const config = { addressList: [{ host: '127.0.0.1', port }], autoAddressList: false, repeaterPort };
  const cold = async (control: boolean) => {
    const service = new EpicsService({ env: {}, config });
    await service.context.ready;
    let failed = 0;
    const ms = await timed(async () => {
      const results = await service.getMany(names, { control, connectTimeoutMs: TIMEOUT_S * 1000 });
      failed = results.filter((result) => !result.ok).length;
    });
    await service.close();
    if (failed) throw new Error(`${failed} reads failed`);
    return ms;
  };
  const getMany = await cold(false);
  const getManyWithCtrl = await cold(true);
  const service = new EpicsService({ env: {}, config });
  await service.getMany(names);
  const monitors = names.map((name) => service.monitor(name, { onValue: () => {} }, { control: false }));
  const putMany = await timed(() => service.putMany(names.map((address, i) => ({ address, value: i + 0.75 }))));
  for (const monitor of monitors) monitor.close();
  await service.close();
  return { getMany, getManyWithCtrl, putMany };
}

async function tcaPhases(names: string[], port: number): Promise<Phases> {
  const context = new TcaContext(
    {
      EPICS_CA_ADDR_LIST: '127.0.0.1',
      EPICS_CA_AUTO_ADDR_LIST: 'NO',
      EPICS_CA_SERVER_PORT: String(port),
      EPICS_CA_REPEATER_PORT: String(await freeUdpPort()),
      EPICS_PVA_BROADCAST_PORT: String(await freeUdpPort()),
    },
    // epics-tca compares this level with numbers; a word makes every comparison false, which silences
    // the per-message dumps it otherwise prints at its default level (they would slow it down)
    'silent' as never,
  );
  await context.initialize();
  let channels: TcaChannel[] = [];
  const connect = await timed(async () => {
    const created = await Promise.all(names.map((name) => context.createChannel(name, 'ca', TIMEOUT_S)));
    if (created.some((channel) => !channel)) throw new Error('epics-tca could not connect every channel');
    channels = created as TcaChannel[];
  });
  const get = await timed(() => Promise.all(channels.map((channel) => channel.get(TIMEOUT_S, channel.getDbrType_TIME()))));
  const put = await timed(() => Promise.all(channels.map((channel, i) => channel.put([i + 0.25], TIMEOUT_S, true))));
  const updates = initialUpdates(names.length);
  const monitor = await timed(async () => {
    await Promise.all(channels.map((channel, i) => channel.createMonitor(TIMEOUT_S, () => updates.seen(i))));
    await updates.all;
  });
  context.destroyHard();
  return { connect, get, put, monitor };
}

/** runs one client's measurements in a worker thread and returns what it posts */
async function inWorker<T>(job: ClientJob): Promise<T> {
  // a worker does not inherit tsx's loader, so it loads this file through tsx's API
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
  const worker = new Worker(bootstrap, { eval: true, workerData: job, stdout: true });
  worker.stdout.resume();
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${job.client} worker exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

if (!isMainThread && (workerData as ClientJob | undefined)?.client) {
  const job = workerData as ClientJob;
  const result =
    job.client === 'burrow'
      ? { phases: await burrowPhases(job.names, job.port, job.repeaterPort), service: await serviceFigures(job.names, job.port, job.repeaterPort) }
      : { phases: await tcaPhases(job.names, job.port) };
  parentPort!.postMessage(result);
}

const row = (label: string, ms: number, extra = '') => `${label.padEnd(50)}${ms.toFixed(0).padStart(7)} ms${extra}`;
const verdict = (ms: number, limit: number) => `   target < ${limit} ms: ${ms < limit ? 'PASS' : 'FAIL'}`;

export async function run(): Promise<void> {
  // other work on the machine changes every figure; the record says how busy it was
  const loadAtStart = os.loadavg()[0]!;
  const definitions: PvDefinition[] = Array.from({ length: COUNT }, (_, i) => ({ name: `BULK:${i}`, type: 'double', value: i, units: 'A', precision: 3 }));
  const repeaterPort = await freeUdpPort();
  const ioc = new SoftIoc({ definitions, port: 0, beaconPort: repeaterPort, simRateScale: 0 });
  await ioc.start();
  const job = { names: definitions.map((definition) => definition.name), port: ioc.port, repeaterPort };
  try {
    const ours = await inWorker<{ phases: Phases; service: ServiceFigures }>({ ...job, client: 'burrow' });
    const theirs = (await inWorker<{ phases: Phases }>({ ...job, client: 'epics-tca' })).phases;
    const ratio = (phase: keyof Phases) => `   epics-tca/burrow ${(theirs[phase] / ours.phases[phase]).toFixed(1)}x`;
    const lines = [
      `${COUNT.toLocaleString('en')} double PVs; soft IOC on the main thread, each client in a worker thread (loopback)`,
      `machine load average at start: ${loadAtStart.toFixed(1)}`,
      row('burrow  connect (search + create)', ours.phases.connect, ratio('connect')),
      row('burrow  get DBR_TIME', ours.phases.get, `${ratio('get')}${verdict(ours.phases.get, TARGETS.get)}`),
      row('burrow  put-callback', ours.phases.put, `${ratio('put')}${verdict(ours.phases.put, TARGETS.put)}`),
      row('burrow  monitor (subscribe + initial update)', ours.phases.monitor, ratio('monitor')),
      row('burrow  EpicsService.getMany cold, TIME', ours.service.getMany),
      row('burrow  EpicsService.getMany cold, TIME + CTRL', ours.service.getManyWithCtrl),
      row('burrow  EpicsService.putMany warm (window 1,000)', ours.service.putMany),
      row('epics-tca connect', theirs.connect),
      row('epics-tca get DBR_TIME', theirs.get),
      row('epics-tca put with notify', theirs.put),
      row('epics-tca monitor (subscribe + initial update)', theirs.monitor),
    ];
    for (const line of lines) process.stdout.write(`${line}\n`);
    recordResult('epics-bulk', lines);
  } finally {
    await ioc.close();
  }
}
