/**
 * B1 (spec §9): a snapshot of 40,000 PVs from the memory live cache (80,000 setpoint and readback entries),
 * SQLite, `POST /v1/snapshots?async=false&use_cache=true` over loopback HTTP. Targets: median < 1.0 s end
 * to end; the DB insert phase ≤ 2× a raw better-sqlite3 baseline of the same rows in the same run.
 * `B1_PVS` scales the run.
 */
import { recordResult } from '../_support/results.ts';
import { loadAverage, measureInsertPhase, runSnapshotScenario } from './_support/snapshotBench.ts';

const PVS = Number(process.env.B1_PVS ?? 40_000);
const LIMIT_MS = 1000;
const LIMIT_INSERT_RATIO = 2;

export async function run(): Promise<void> {
  const loadBefore = loadAverage();
  const { extra: insert, ...figures } = await runSnapshotScenario({ pvs: PVS, backend: 'memory', measure: measureInsertPhase });
  const result = {
    scenario: 'B1 snapshot from the memory cache',
    ...figures,
    insert_phase: insert,
    limits: { median_ms: LIMIT_MS, insert_ratio: LIMIT_INSERT_RATIO },
    load_average: { before: loadBefore, after: loadAverage() },
    pass: figures.median_ms < LIMIT_MS && insert !== undefined && insert.ratio <= LIMIT_INSERT_RATIO,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  recordResult('squirrel/b1-snapshot', [JSON.stringify(result)]);
}
