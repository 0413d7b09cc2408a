/**
 * The snapshot-from-cache scenario shared by B1 (memory cache) and B1r (Redis cache), spec §9: a soft IOC
 * in its own process serving N setpoint/readback pairs, squirrel with those N PVs and its monitor filling
 * the live cache with all 2N addresses, then `POST /v1/snapshots?async=false&use_cache=true` over loopback
 * HTTP, request to response: 1 warm-up and 5 timed runs, median reported.
 */
import Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SquirrelDb } from '../../../src/apps/squirrel/db/schema.ts';
import { createSnapshotRepo, type SnapshotValueRow } from '../../../src/apps/squirrel/snapshots/repo.ts';
import { loadAverage, median, startIocProcess, useIoc } from './iocProcess.ts';
import { startSquirrelServer, type BenchSquirrel } from './squirrelServer.ts';
import { isolatedRedisNames } from '../../../test/apps/squirrel/helpers.ts';

export const RUNS = 5;

export interface SnapshotRunFigures {
  backend: 'memory' | 'redis';
  pvs: number;
  addresses: number;
  cache_fill_s: number;
  /** request to response of each timed run, ms */
  runs_ms: number[];
  median_ms: number;
  /**
   * CPU time of this process (server, its monitor, and the HTTP client) over each timed run, ms: steadier
   * than the wall time when other work shares the machine
   */
  runs_cpu_ms: number[];
  median_cpu_ms: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Redis names private to this run, so the bench never meets another user's squirrel keys. */
const redisNames = isolatedRedisNames();

async function fillCache(squirrel: BenchSquirrel, addresses: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const status = (await squirrel.call('GET', '/v1/pvs/cache/status')) as { cached_pv_count: number };
    const disconnected = (await squirrel.call('GET', '/v1/health/disconnected')) as { count: number };
    if (status.cached_pv_count === addresses && disconnected.count === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > 180_000) throw new Error(`cache holds ${status.cached_pv_count}/${addresses} after 180 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs the scenario; `measure` gets the running server and its last snapshot id before it stops, for
 * figures taken on the same database (B1's insert phase).
 */
export async function runSnapshotScenario<Extra>(options: {
  pvs: number;
  backend: 'memory' | 'redis';
  measure?: (squirrel: BenchSquirrel, snapshotId: string) => Promise<Extra>;
}): Promise<SnapshotRunFigures & { extra?: Extra }> {
  const prefix = `B1${options.backend === 'redis' ? 'R' : ''}:`;
  const ioc = await startIocProcess(options.pvs, prefix);
  useIoc(ioc.port);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const squirrel = await startSquirrelServer({
    // The cache fill is set-up here, not the measured path: big batches, no pause.
    SQUIRREL_PV_MONITOR_BATCH_SIZE: '4000',
    SQUIRREL_PV_MONITOR_BATCH_DELAY_MS: '0',
    ...(options.backend === 'redis' ? { REDIS_URL: redisUrl, ...redisNames } : {}),
  });
  try {
    const pvs = Array.from({ length: options.pvs }, (_, i) => ({ setpoint_address: `${prefix}${i + 1}:SP`, readback_address: `${prefix}${i + 1}:RB` }));
    await squirrel.call('POST', '/v1/pvs/multi', pvs);
    const url = await squirrel.server.listen();
    const cacheFill = await fillCache(squirrel, options.pvs * 2);

    const runs: number[] = [];
    const cpuRuns: number[] = [];
    let lastId = '';
    for (let run = 0; run <= RUNS; run++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const res = await fetch(`${url}/v1/snapshots?async=false&use_cache=true`, {
        method: 'POST',
        headers: { 'x-api-key': squirrel.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `B1 run ${run}` }),
      });
      const body = (await res.json()) as { id: string; pv_count: number; source: string };
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      if (res.status !== 200 || body.pv_count !== options.pvs || body.source !== 'cache') throw new Error(`snapshot failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      if (run > 0) {
        runs.push(round(ms));
        cpuRuns.push(round((cpu.user + cpu.system) / 1000));
      }
      lastId = body.id;
    }
    const extra = options.measure ? await options.measure(squirrel, lastId) : undefined;
    return {
      backend: options.backend,
      pvs: options.pvs,
      addresses: options.pvs * 2,
      cache_fill_s: Math.round(cacheFill * 10) / 10,
      runs_ms: runs,
      median_ms: round(median(runs)),
      runs_cpu_ms: cpuRuns,
      median_cpu_ms: round(median(cpuRuns)),
      ...(extra === undefined ? {} : { extra }),
    };
  } finally {
    if (options.backend === 'redis') {
      const redis = squirrel.server.context('squirrel').redis;
      await redis?.del(redisNames.SQUIRREL_REDIS_PV_HASH_KEY!, redisNames.SQUIRREL_REDIS_PV_METADATA_KEY!, redisNames.SQUIRREL_REDIS_DISCONNECTED_SET_KEY!).catch(() => {});
    }
    await squirrel.stop();
    await ioc.stop();
  }
}

/** every column squirrel writes; `seq`, the key, is assigned by the database on both sides */
const VALUE_COLUMNS = [
  'snapshot_id', 'pv_id', 'pv_name', 'setpoint_name', 'readback_name', 'setpoint_value', 'readback_value',
  'status', 'severity', 'timestamp', 'read_only', 'abs_tolerance', 'rel_tolerance', 'tags',
] as const satisfies readonly (keyof SnapshotValueRow)[];

export interface InsertPhaseFigures {
  rows: number;
  /** squirrel's own insert (snapshots/repo.ts in one transaction), ms per run */
  app_ms: number[];
  /** one prepared better-sqlite3 INSERT per row in one transaction, same rows, same database, ms per run */
  raw_ms: number[];
  app_median_ms: number;
  raw_median_ms: number;
  ratio: number;
}

/**
 * The DB insert phase of spec §9 B1: the rows of a finished snapshot written again under new snapshot
 * ids, alternately through squirrel's insert path and through a raw better-sqlite3 baseline on the same
 * database file; each copy is deleted, untimed, before the next run.
 */
export async function measureInsertPhase(squirrel: BenchSquirrel, snapshotId: string): Promise<InsertPhaseFigures> {
  const { database, settings } = squirrel.server.context('squirrel') as unknown as {
    database: { db: Kysely<SquirrelDb>; file?: string; transaction<T>(fn: (trx: Kysely<SquirrelDb>) => Promise<T>): Promise<T> };
    settings: { SQUIRREL_BULK_INSERT_BATCH_SIZE: number };
  };
  if (!database.file) throw new Error('the insert phase is measured on SQLite');
  const source = await database.db.selectFrom('snapshot_value').select(VALUE_COLUMNS).where('snapshot_id', '=', snapshotId).orderBy('seq').execute();
  const template = await database.db.selectFrom('snapshot').selectAll().where('id', '=', snapshotId).executeTakeFirstOrThrow();
  const raw = new Database(database.file);
  // squirrel's connection settings (src/core/db/sqlite.ts), so both sides commit with the same durability
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  const insertSnapshot = raw.prepare('insert into snapshot (id, title, title_key, description, created_by, pv_count, source, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertValue = raw.prepare(`insert into snapshot_value (${VALUE_COLUMNS.join(', ')}) values (${VALUE_COLUMNS.map(() => '?').join(', ')})`);
  const copies: string[] = [];
  const app: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run <= RUNS; run++) {
      // The rows are prebuilt for both sides: only the write is timed.
      const appId = `bench-app-${run}`;
      const appRows = source.map((row) => ({ ...row, snapshot_id: appId }));
      const rawId = `bench-raw-${run}`;
      const rawRows = source.map((row) => VALUE_COLUMNS.map((column) => (column === 'snapshot_id' ? rawId : column === 'read_only' ? Number(row.read_only) : row[column])));
      copies.push(appId, rawId);

      let started = performance.now();
      await database.transaction((trx) => createSnapshotRepo(trx).insert({ ...template, id: appId }, appRows, settings.SQUIRREL_BULK_INSERT_BATCH_SIZE));
      const appMs = performance.now() - started;

      started = performance.now();
      raw.transaction(() => {
        insertSnapshot.run(rawId, template.title, template.title_key, template.description, template.created_by, template.pv_count, template.source, template.created_at, template.updated_at);
        for (const values of rawRows) insertValue.run(values);
      })();
      const rawMs = performance.now() - started;
      if (run > 0) {
        app.push(round(appMs));
        baseline.push(round(rawMs));
      }
      raw.prepare('delete from snapshot where id in (?, ?)').run(appId, rawId);
    }
  } finally {
    raw.prepare(`delete from snapshot where id in (${copies.map(() => '?').join(',')})`).run(...copies);
    raw.close();
  }
  const appMedian = median(app);
  const rawMedian = median(baseline);
  return { rows: source.length, app_ms: app, raw_ms: baseline, app_median_ms: round(appMedian), raw_median_ms: round(rawMedian), ratio: Math.round((appMedian / rawMedian) * 100) / 100 };
}

export { loadAverage };
