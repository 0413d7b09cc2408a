/**
 * B2 (spec §9): a direct CA read of 10,000 PVs, cold. The soft IOC runs in its own process
 * (`burrow soft-ioc --generate 5000`: 5,000 setpoint/readback pairs = 10,000 PVs). Each run builds a new
 * `EpicsService` (no channels, no circuit) and reads every PV through `getMany` with DBR_TIME plus one
 * DBR_CTRL read per channel, as a cache-less snapshot does. Target: < 2 s. Median of 5 runs after 1 warm-up.
 */
import { EpicsService } from '../../src/connectors/epics/index.ts';
import { recordResult } from '../_support/results.ts';
import { freeUdpPort, loadAverage, median, startIocProcess } from './_support/iocProcess.ts';

const PAIRS = 5000;
const PREFIX = 'B2:';
const RUNS = 5;
const TARGET_MS = 2000;

export async function run(): Promise<void> {
  const ioc = await startIocProcess(PAIRS, PREFIX);
  const repeaterPort = await freeUdpPort();
  const addresses = Array.from({ length: PAIRS }, (_, i) => [`${PREFIX}${i + 1}:SP`, `${PREFIX}${i + 1}:RB`]).flat();
  const loadAtStart = loadAverage();
  const times: number[] = [];
  try {
    for (let round = 0; round <= RUNS; round++) {
      const epics = new EpicsService({ env: {}, config: { addressList: [{ host: '127.0.0.1', port: ioc.port }], autoAddressList: false, repeaterPort } });
      const started = performance.now();
      const results = await epics.getMany(addresses, { control: true });
      const ms = performance.now() - started;
      await epics.close();
      const failed = results.filter((result) => !result.ok || result.reading.units !== 'A');
      if (failed.length) throw new Error(`${failed.length} of ${addresses.length} reads failed or lacked CTRL units, e.g. ${JSON.stringify(failed[0])}`);
      if (round > 0) times.push(ms);
    }
  } finally {
    await ioc.stop();
  }
  const ms = Math.round(median(times));
  const figures = {
    scenario: 'B2 direct CA read, cold',
    pvs: addresses.length,
    median_ms: ms,
    runs_ms: times.map(Math.round),
    target_ms: TARGET_MS,
    pass: ms < TARGET_MS,
    load_avg_start: loadAtStart,
    load_avg_end: loadAverage(),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  recordResult('squirrel/b2-ca-read', [JSON.stringify(figures)]);
}
