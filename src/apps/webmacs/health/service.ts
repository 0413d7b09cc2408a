import fs from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';
import type { AppDatabase } from '../../../core/db/index.ts';
import { isoZOrNull, nowMicros } from '../time.ts';

export type CheckStatus = 'ok' | 'error' | 'stale';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  database: 'ok' | 'error';
  last_datapoint: string | null;
  uptime_seconds: number;
  checks: { database: 'ok' | 'error'; disk: 'ok' | 'error'; ingestion: 'ok' | 'stale' };
}

export interface HealthOptions {
  database: AppDatabase<WebmacsDatabase>;
  version: string;
  startedAt: number;
  dataDir: string;
  minFreeMb: number;
  staleAfterSeconds: number;
}

const DATABASE_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function lastDatapoint(db: Kysely<WebmacsDatabase>): Promise<number | null> {
  const row = await db.selectFrom('datapoints').select((eb) => eb.fn.max('ts').as('ts')).executeTakeFirst();
  return row?.ts === null || row?.ts === undefined ? null : Number(row.ts);
}

async function hasEnabledInstance(db: Kysely<WebmacsDatabase>): Promise<boolean> {
  return (await db.selectFrom('plugin_instances').select('id').where('enabled', '=', true).limit(1).executeTakeFirst()) !== undefined;
}

async function diskOk(dataDir: string, minFreeMb: number): Promise<boolean> {
  try {
    const stats = await fs.statfs(dataDir);
    return stats.bavail * stats.bsize >= minFreeMb * 1024 * 1024;
  } catch {
    return false;
  }
}

/** One evaluation of spec §3.14. Never throws: a failing database is reported, not raised. */
export async function evaluateHealth(options: HealthOptions): Promise<HealthReport> {
  const { db } = options.database;
  let database: 'ok' | 'error' = 'ok';
  let last: number | null = null;
  let ingestion: 'ok' | 'stale' = 'ok';
  try {
    await withTimeout(options.database.ping(), DATABASE_TIMEOUT_MS);
    last = await withTimeout(lastDatapoint(db), DATABASE_TIMEOUT_MS);
    if (options.staleAfterSeconds > 0 && (await withTimeout(hasEnabledInstance(db), DATABASE_TIMEOUT_MS))) {
      const staleBefore = nowMicros() - options.staleAfterSeconds * 1_000_000;
      if (last === null || last < staleBefore) ingestion = 'stale';
    }
  } catch {
    database = 'error';
  }
  const disk = (await diskOk(options.dataDir, options.minFreeMb)) ? 'ok' : 'error';
  const allOk = database === 'ok' && disk === 'ok' && ingestion === 'ok';
  return {
    status: allOk ? 'ok' : 'degraded',
    version: options.version,
    database,
    last_datapoint: isoZOrNull(last),
    uptime_seconds: Math.round((Date.now() - options.startedAt) / 100) / 10,
    checks: { database, disk, ingestion },
  };
}
