/**
 * B1r (spec §9): B1 with the Redis live cache (Debian redis-server on loopback, `REDIS_URL` or
 * redis://127.0.0.1:6379). Target: ≤ 2× the B1 time, so B1 (memory cache) runs first in the same run and
 * is the reference. `B1_PVS` scales both.
 */
import { recordResult } from '../_support/results.ts';
import { loadAverage, runSnapshotScenario } from './_support/snapshotBench.ts';

const PVS = Number(process.env.B1_PVS ?? 40_000);
const LIMIT_RATIO = 2;

export async function run(): Promise<void> {
  const loadBefore = loadAverage();
  const memory = await runSnapshotScenario({ pvs: PVS, backend: 'memory' });
  const redis = await runSnapshotScenario({ pvs: PVS, backend: 'redis' });
  const ratio = Math.round((redis.median_ms / memory.median_ms) * 100) / 100;
  const result = {
    scenario: 'B1r snapshot from the Redis cache',
    pvs: PVS,
    redis,
    memory_reference: memory,
    ratio,
    limits: { ratio: LIMIT_RATIO },
    load_average: { before: loadBefore, after: loadAverage() },
    pass: ratio <= LIMIT_RATIO,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  recordResult('squirrel/b1r-snapshot-redis', [JSON.stringify(result)]);
}
