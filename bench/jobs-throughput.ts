/**
 * Job engine throughput on SQLite: 5,000 no-op jobs enqueued in one batch and run with concurrency 8,
 * against the floor of inserting the same rows in one transaction with no engine at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { migrateToLatest, openAppDatabase, type AppDatabase } from '../src/core/db/index.ts';
import { createEventBus } from '../src/core/events/index.ts';
import { createJobEngine, jobsMigrations, type JobUpdatedEvent } from '../src/core/jobs/index.ts';
import type { JobRow, JobsSchema } from '../src/core/jobs/rows.ts';
import { uuidv7 } from '../src/core/secrets/uuid.ts';
import { recordResult } from './_support/results.ts';

const JOBS = 5_000;
const CONCURRENCY = 8;
const INSERT_CHUNK = 1_000;
const logger = pino({ level: 'silent' });

async function withFreshDatabase<T>(fn: (database: AppDatabase) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-bench-jobs-'));
  const database = await openAppDatabase({ appId: 'bench', dataDir });
  try {
    await migrateToLatest(database, jobsMigrations);
    return await fn(database);
  } finally {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function pendingRow(index: number, now: number): JobRow {
  return {
    id: uuidv7(), type: 'noop', status: 'pending', progress: 0, message: null, payload: JSON.stringify({ index }),
    result: null, data: null, error: null, last_error: null, retrying: 0, attempts: 0, max_attempts: 3, priority: 0,
    run_at: now, timeout_ms: null, singleton_key: null, schedule_name: null, scheduled_for: null, lease_owner: null,
    lease_expires_at: null, created_at: now, started_at: null, finished_at: null, updated_at: now, version: 1,
  };
}

/** Milliseconds to insert the rows in one transaction, multi-row statements, no engine. */
async function rawInsertMs(): Promise<number> {
  return withFreshDatabase(async (database) => {
    const now = Date.now();
    const rows = Array.from({ length: JOBS }, (_, i) => pendingRow(i, now));
    const started = performance.now();
    await database.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await (trx as unknown as Kysely<JobsSchema>).insertInto('core_jobs').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      }
    });
    return performance.now() - started;
  });
}

/** Milliseconds for the engine to enqueue the jobs in one batch, and then to run them all. */
async function engineMs(): Promise<{ enqueueMs: number; processMs: number }> {
  return withFreshDatabase(async (database) => {
    const bus = await createEventBus({ logger });
    const engine = createJobEngine({ database, bus, logger, appId: 'bench', concurrency: CONCURRENCY });
    engine.define('noop', async () => null);
    let completed = 0;
    const allDone = new Promise<void>((resolve) => {
      bus.subscribe<JobUpdatedEvent>('jobs.updated', ({ payload }) => {
        if (payload.job.status === 'completed' && ++completed === JOBS) resolve();
      });
    });
    const enqueueStarted = performance.now();
    await engine.enqueueMany(Array.from({ length: JOBS }, (_, index) => ({ type: 'noop', payload: { index } })));
    const processStarted = performance.now();
    await engine.start();
    await allDone;
    const processMs = performance.now() - processStarted;
    await engine.stop();
    await bus.close();
    const counts = await engine.counts();
    if (counts.completed !== JOBS) throw new Error(`expected ${JOBS} completed jobs, found ${JSON.stringify(counts)}`);
    return { enqueueMs: processStarted - enqueueStarted, processMs };
  });
}

const perSecond = (count: number, ms: number) => Math.round((count * 1_000) / ms);

export async function run(): Promise<void> {
  // Both figures share the machine's load; the ratio is the comparable number between runs.
  const load = os.loadavg()[0]?.toFixed(1);
  const raw = await rawInsertMs();
  const { enqueueMs, processMs } = await engineMs();
  const endToEnd = perSecond(JOBS, enqueueMs + processMs);
  const lines = [
    `jobs: ${JOBS} no-op, concurrency ${CONCURRENCY}, SQLite (WAL, synchronous=NORMAL), load average ${load} at start`,
    `raw insert, one transaction:   ${raw.toFixed(0).padStart(6)} ms  ${perSecond(JOBS, raw).toLocaleString('en').padStart(9)} rows/s`,
    `engine enqueueMany:            ${enqueueMs.toFixed(0).padStart(6)} ms  ${perSecond(JOBS, enqueueMs).toLocaleString('en').padStart(9)} jobs/s`,
    `engine run (claim+run+finish): ${processMs.toFixed(0).padStart(6)} ms  ${perSecond(JOBS, processMs).toLocaleString('en').padStart(9)} jobs/s`,
    `engine end to end:             ${(enqueueMs + processMs).toFixed(0).padStart(6)} ms  ${endToEnd.toLocaleString('en').padStart(9)} jobs/s`,
    `raw inserts are ${((enqueueMs + processMs) / raw).toFixed(1)}x faster than the engine end to end (${(enqueueMs / raw).toFixed(1)}x for enqueue alone)`,
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
  recordResult('jobs-throughput', lines);
}
