/**
 * Job engine throughput: 5,000 no-op jobs enqueued in one batch and run with concurrency 8, against the
 * floor of inserting the same rows in one transaction with no engine at all. Always on SQLite; also on
 * Postgres when DATABASE_URL is set (a throwaway schema). The bus is in-process on both.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
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

type Dialect = 'sqlite' | 'postgres';

async function withFreshDatabase<T>(dialect: Dialect, fn: (database: AppDatabase) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-bench-jobs-'));
  const schema = dialect === 'postgres' ? `bench_jobs_${randomBytes(4).toString('hex')}` : undefined;
  const databaseUrl = dialect === 'postgres' ? process.env.DATABASE_URL : undefined;
  const database = await openAppDatabase({ appId: 'bench', dataDir, databaseUrl, schema });
  try {
    await migrateToLatest(database, jobsMigrations);
    return await fn(database);
  } finally {
    if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
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

/** Wall and process CPU time of one phase; under load the CPU figure moves far less than the wall one. */
interface Timing {
  wallMs: number;
  cpuMs: number;
}

function startTiming(): () => Timing {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1_000 };
  };
}

/** Inserting the rows in one transaction, multi-row statements, no engine. */
async function rawInsert(dialect: Dialect): Promise<Timing> {
  return withFreshDatabase(dialect, async (database) => {
    const now = Date.now();
    const rows = Array.from({ length: JOBS }, (_, i) => pendingRow(i, now));
    const stop = startTiming();
    await database.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await (trx as unknown as Kysely<JobsSchema>).insertInto('core_jobs').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      }
    });
    return stop();
  });
}

/** The engine enqueueing the jobs in one batch, and then running them all. */
async function engineRun(dialect: Dialect): Promise<{ enqueue: Timing; process: Timing }> {
  return withFreshDatabase(dialect, async (database) => {
    const bus = await createEventBus({ logger });
    const engine = createJobEngine({ database, bus, logger, appId: 'bench', concurrency: CONCURRENCY });
    engine.define('noop', async () => null);
    let completed = 0;
    const allDone = new Promise<void>((resolve) => {
      bus.subscribe<JobUpdatedEvent>('jobs.updated', ({ payload }) => {
        if (payload.job.status === 'completed' && ++completed === JOBS) resolve();
      });
    });
    const stopEnqueue = startTiming();
    await engine.enqueueMany(Array.from({ length: JOBS }, (_, index) => ({ type: 'noop', payload: { index } })));
    const enqueue = stopEnqueue();
    const stopProcess = startTiming();
    await engine.start();
    await allDone;
    const processed = stopProcess();
    await engine.stop();
    await bus.close();
    const counts = await engine.counts();
    if (counts.completed !== JOBS) throw new Error(`expected ${JOBS} completed jobs, found ${JSON.stringify(counts)}`);
    return { enqueue, process: processed };
  });
}

const perSecond = (count: number, ms: number) => Math.round((count * 1_000) / ms);

const loadAverage = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

function line(label: string, timing: Timing, unit: string): string {
  const rate = perSecond(JOBS, timing.wallMs).toLocaleString('en').padStart(9);
  return `  ${label.padEnd(31)}${timing.wallMs.toFixed(0).padStart(6)} ms  ${rate} ${unit}/s   (process CPU ${timing.cpuMs.toFixed(0).padStart(5)} ms)`;
}

async function measure(dialect: Dialect): Promise<string[]> {
  const label = dialect === 'sqlite' ? 'SQLite (WAL, synchronous=NORMAL)' : 'Postgres (local server; its CPU is not in the process CPU)';
  const before = loadAverage();
  const raw = await rawInsert(dialect);
  const { enqueue, process: processed } = await engineRun(dialect);
  const endToEnd = { wallMs: enqueue.wallMs + processed.wallMs, cpuMs: enqueue.cpuMs + processed.cpuMs };
  return [
    `${label}: ${JOBS} no-op jobs, concurrency ${CONCURRENCY}; load average (1/5/15 min) ${before} at start, ${loadAverage()} at end`,
    line('raw insert, one transaction:', raw, 'rows'),
    line('engine enqueueMany:', enqueue, 'jobs'),
    line('engine run (claim+run+finish):', processed, 'jobs'),
    line('engine end to end:', endToEnd, 'jobs'),
    `  end to end runs at ${((100 * raw.wallMs) / endToEnd.wallMs).toFixed(0)} % of the raw insert rate (target ≥ 25 %)`,
  ];
}

export async function run(): Promise<void> {
  // Raw and engine figures of one dialect share the machine's load; their ratio is the comparable number.
  const lines = [`machine shared with other work: figures are noisy, compare the ratios`];
  lines.push(...(await measure('sqlite')));
  if (process.env.DATABASE_URL) lines.push(...(await measure('postgres')));
  else lines.push('Postgres: not measured (set DATABASE_URL)');
  for (const line of lines) process.stdout.write(`${line}\n`);
  recordResult('jobs-throughput', lines);
}
