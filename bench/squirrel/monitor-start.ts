/**
 * B6 (spec §9): monitor start. The soft IOC runs in a separate process (`burrow soft-ioc --generate N`);
 * squirrel registers the N setpoint/readback pairs, then its monitor is started and timed until all 2N
 * addresses are in the cache as connected. Target: ≤ 1.2 × the batching floor
 * (addresses / SQUIRREL_PV_MONITOR_BATCH_SIZE) × SQUIRREL_PV_MONITOR_BATCH_DELAY_MS. `B6_PVS` sets N
 * (default 40,000, as the spec). Median of `B6_RUNS` (5) starts after 1 warm-up, each a fresh server.
 */
import { recordResult } from '../_support/results.ts';
import { loadAverage, median, startIocProcess, useIoc } from './_support/iocProcess.ts';
import { startSquirrelServer } from './_support/squirrelServer.ts';

const PVS = Number(process.env.B6_PVS ?? 40_000);
const BATCH_SIZE = 500;
const BATCH_DELAY_MS = 100;
const PREFIX = 'B6:';
const ADDRESSES = PVS * 2;
const RUNS = Number(process.env.B6_RUNS ?? 5);

/** One start: a fresh server (new data dir, new CA client) with the PVs registered, timed from starting its workers. */
async function timeOneStart(): Promise<number> {
  const squirrel = await startSquirrelServer({ SQUIRREL_PV_MONITOR_BATCH_SIZE: String(BATCH_SIZE), SQUIRREL_PV_MONITOR_BATCH_DELAY_MS: String(BATCH_DELAY_MS) });
  const { server, call } = squirrel;
  try {
    const pvs = Array.from({ length: PVS }, (_, i) => ({ setpoint_address: `${PREFIX}${i + 1}:SP`, readback_address: `${PREFIX}${i + 1}:RB` }));
    await call('POST', '/v1/pvs/multi', pvs);
    const started = performance.now();
    await server.startWorkers();
    for (;;) {
      const cached = (await call('GET', '/v1/pvs/cache/status')).cached_pv_count as number;
      const disconnected = (await call('GET', '/v1/health/disconnected')).count as number;
      if (cached === ADDRESSES && disconnected === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return (performance.now() - started) / 1000;
  } finally {
    await squirrel.stop();
  }
}

export async function run(): Promise<void> {
  const ioc = await startIocProcess(PVS, PREFIX);
  useIoc(ioc.port);
  const loadAtStart = loadAverage();
  const runs: number[] = [];
  try {
    // the first start warms up (JIT, the IOC's first circuit) and is not counted
    for (let round = 0; round <= RUNS; round++) {
      const seconds = await timeOneStart();
      if (round > 0) runs.push(seconds);
    }
  } finally {
    await ioc.stop();
  }
  const seconds = median(runs);
  const floor = (ADDRESSES / BATCH_SIZE) * (BATCH_DELAY_MS / 1000);
  const round2 = (value: number) => Math.round(value * 100) / 100;
  const figures = {
    scenario: 'B6 monitor start',
    pvs: PVS,
    addresses: ADDRESSES,
    median_s: round2(seconds),
    runs_s: runs.map(round2),
    floor_s: floor,
    ratio: round2(seconds / floor),
    limit_ratio: 1.2,
    pass: seconds <= 1.2 * floor,
    load_avg_start: loadAtStart,
    load_avg_end: loadAverage(),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  recordResult('squirrel/monitor-start', [JSON.stringify(figures)]);
}
