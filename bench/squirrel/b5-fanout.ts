/**
 * B5 (spec §9): WebSocket fan-out. The soft IOC runs in its own process (`burrow soft-ioc --generate
 * 20000 --control stdin`: 40,000 monitored addresses); this process drives it with `set` commands on
 * the setpoints, evenly paced, and each set also moves its readback (it follows), so 5,000 sets/s make
 * 10,000 PV changes/s. Squirrel runs here with its monitor on every address. 200 clients, in a third
 * process, subscribe to 1,000 random addresses each in the `type` dialect, warm up for 5 s and measure
 * for 60 s. Targets: diff latency (receive time − EPICS timestamp) p99 < 250 ms, no client dropped,
 * server RSS growth < 100 MB over the measured run. As spec §9 asks, the figures are the medians of 5
 * runs after 1 warm-up run, each run with its clients connecting afresh (every run's figures are printed
 * too); a client closed or an update dropped in any run fails the scenario. `B5_MEASURE_S` and `B5_RUNS`
 * shorten it for a quick check.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { recordResult } from '../_support/results.ts';
import { loadAverage, median, startIocProcess, useIoc } from './_support/iocProcess.ts';
import { startSquirrelServer } from './_support/squirrelServer.ts';

const PAIRS = 20_000;
const PREFIX = 'B5:';
const CHANGES_PER_S = 10_000;
const CLIENTS = 200;
const SUBSCRIPTIONS = 1000;
const WARMUP_S = 5;
const MEASURE_S = Number(process.env.B5_MEASURE_S ?? 60);
const RUNS = Number(process.env.B5_RUNS ?? 5);
const LIMITS = { p99_ms: 250, rss_growth_mb: 100 };
/** the driver's pacing tick; sets that fall behind are caught up, at most a second's worth at once */
const TICK_MS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/** Paces `set` commands on the IOC's stdin: `perSecond` evenly over time, round-robin over the setpoints. */
function driveIoc(stdin: NodeJS.WritableStream, perSecond: number): { stop(): number } {
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.min(Math.floor(((performance.now() - started) / 1000) * perSecond) - sent, perSecond);
    let lines = '';
    for (let i = 0; i < due; i++) {
      const pair = (sent % PAIRS) + 1;
      lines += `{"cmd":"set","name":"${PREFIX}${pair}:SP","value":${Math.round(Math.random() * 1_000_000) / 1000}}\n`;
      sent += 1;
    }
    if (lines) stdin.write(lines);
  }, TICK_MS);
  return {
    stop() {
      clearInterval(timer);
      return sent;
    },
  };
}

interface ClientRun {
  monitor_events_per_s: number;
  entries_received_per_s: number;
  messages_per_s: number;
  client_mb_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  clients_closed: number;
  /** updates the server dropped for slow clients during the run */
  server_dropped: number;
  rss_growth_mb: number;
  rss_peak_mb: number;
}

/**
 * One run: CLIENTS clients in a process of their own connect and subscribe, warm up for WARMUP_S and
 * measure for MEASURE_S while the IOC changes; the server's monitor events and RSS over the same time.
 */
async function clientRun(base: string, adminKey: string, monitorUpdates: () => Promise<number>, droppedUpdates: () => Promise<number>): Promise<ClientRun> {
  const clients = spawn(process.execPath, ['--import', 'tsx', new URL('./_support/b5-clients.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      B5_URL: base.replace(/^http/, 'ws'),
      B5_KEY: adminKey,
      B5_CLIENTS: String(CLIENTS),
      B5_SUBS: String(SUBSCRIPTIONS),
      B5_PAIRS: String(PAIRS),
      B5_PREFIX: PREFIX,
      B5_WARMUP_S: String(WARMUP_S),
      B5_MEASURE_S: String(MEASURE_S),
    },
  });
  try {
    const lines = readline.createInterface({ input: clients.stdout! })[Symbol.asyncIterator]();
    const nextLine = async () => {
      const next = await lines.next();
      if (next.done) throw new Error('the client process ended early');
      return JSON.parse(next.value) as Record<string, unknown>;
    };
    if ((await nextLine()).event !== 'ready') throw new Error('the clients did not get ready');
    await sleep(WARMUP_S * 1000);
    const rssAtStart = process.memoryUsage().rss;
    const updatesAtStart = await monitorUpdates();
    const droppedAtStart = await droppedUpdates();
    const measuredAt = performance.now();
    let rssPeak = rssAtStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 1000);
    const result = await nextLine();
    clearInterval(sampler);
    const seconds = (performance.now() - measuredAt) / 1000;
    return {
      monitor_events_per_s: Math.round(((await monitorUpdates()) - updatesAtStart) / seconds),
      entries_received_per_s: result.entries_per_s as number,
      messages_per_s: result.messages_per_s as number,
      client_mb_per_s: result.mb_per_s as number,
      p50_ms: result.p50_ms as number,
      p99_ms: result.p99_ms as number,
      max_ms: result.max_ms as number,
      clients_closed: (result.closed_during_run as number) + (result.closed_before_run as number),
      server_dropped: (await droppedUpdates()) - droppedAtStart,
      rss_growth_mb: mb(process.memoryUsage().rss - rssAtStart),
      rss_peak_mb: mb(rssPeak),
    };
  } finally {
    clients.kill('SIGTERM');
    await new Promise((resolve) => (clients.exitCode === null ? clients.once('exit', resolve) : resolve(undefined)));
  }
}

export async function run(): Promise<void> {
  const ioc = await startIocProcess(PAIRS, PREFIX, ['--control', 'stdin']);
  // every set is answered with a line; read them so the pipe never fills
  ioc.lines.on('line', () => undefined);
  useIoc(ioc.port);
  // opening the channels is set-up here, not what is measured
  const squirrel = await startSquirrelServer({ SQUIRREL_PV_MONITOR_BATCH_SIZE: '5000', SQUIRREL_PV_MONITOR_BATCH_DELAY_MS: '10' });
  const { server, adminKey, call } = squirrel;
  const metricsText = async () => (await squirrel.request('GET', '/metrics')).body;
  const monitorUpdates = async () => Number(/^squirrel_monitor_updates_total (\S+)$/m.exec(await metricsText())?.[1]);
  const droppedUpdates = async () => Number(/^squirrel_ws_dropped_total (\S+)$/m.exec(await metricsText())?.[1]);
  let driver: { stop(): number } | undefined;
  try {
    await call('POST', '/v1/pvs/multi', Array.from({ length: PAIRS }, (_, i) => ({ setpoint_address: `${PREFIX}${i + 1}:SP`, readback_address: `${PREFIX}${i + 1}:RB` })));
    const base = await server.listen();
    await server.startWorkers();
    for (;;) {
      const cached = (await call('GET', '/v1/pvs/cache/status')).cached_pv_count as number;
      const disconnected = (await call('GET', '/v1/health/disconnected')).count as number;
      if (cached === 2 * PAIRS && disconnected === 0) break;
      await sleep(200);
    }

    driver = driveIoc(ioc.child.stdin, CHANGES_PER_S / 2);
    const loadAtStart = loadAverage();
    const runs: ClientRun[] = [];
    let rssAfterWarmUp = 0;
    for (let round = 0; round <= RUNS; round++) {
      const measured = await clientRun(base, adminKey, monitorUpdates, droppedUpdates);
      // round 0 is the warm-up
      if (round === 0) {
        rssAfterWarmUp = process.memoryUsage().rss;
        continue;
      }
      runs.push(measured);
      process.stdout.write(`run ${round}/${RUNS}: ${JSON.stringify(measured)}\n`);
    }
    const setsSent = driver.stop();
    driver = undefined;
    const medianOf = (pick: (run: ClientRun) => number) => Math.round(median(runs.map(pick)) * 100) / 100;
    const closed = runs.reduce((sum, run) => sum + run.clients_closed, 0);
    const dropped = runs.reduce((sum, run) => sum + run.server_dropped, 0);
    const p99 = medianOf((run) => run.p99_ms);
    const growth = medianOf((run) => run.rss_growth_mb);
    const figures = {
      scenario: 'B5 WebSocket fan-out',
      monitored_addresses: 2 * PAIRS,
      sets_sent: setsSent,
      clients: CLIENTS,
      subscriptions_per_client: SUBSCRIPTIONS,
      measure_s: MEASURE_S,
      runs: RUNS,
      monitor_events_per_s: medianOf((run) => run.monitor_events_per_s),
      entries_received_per_s: medianOf((run) => run.entries_received_per_s),
      messages_per_s: medianOf((run) => run.messages_per_s),
      client_mb_per_s: medianOf((run) => run.client_mb_per_s),
      p50_ms: medianOf((run) => run.p50_ms),
      p99_ms: p99,
      max_ms: Math.max(...runs.map((run) => run.max_ms)),
      p99_ms_of_runs: runs.map((run) => run.p99_ms),
      clients_closed: closed,
      server_dropped: dropped,
      rss_growth_mb: growth,
      // a leak shows here, across every client that came and went
      rss_growth_over_all_runs_mb: mb(process.memoryUsage().rss - rssAfterWarmUp),
      rss_peak_mb: Math.max(...runs.map((run) => run.rss_peak_mb)),
      limits: LIMITS,
      pass: p99 < LIMITS.p99_ms && closed === 0 && dropped === 0 && growth < LIMITS.rss_growth_mb,
      load_avg_start: loadAtStart,
      load_avg_end: loadAverage(),
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    recordResult('squirrel/b5-fanout', [JSON.stringify(figures)]);
  } finally {
    driver?.stop();
    await squirrel.stop();
    await ioc.stop();
  }
}
