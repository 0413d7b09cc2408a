import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openAppDatabase, type AppDatabase } from '../../src/core/db/index.ts';

/** Postgres URL when the suite runs against Postgres (CI's second pass), else undefined (SQLite). */
export const testDatabaseUrl = process.env.DATABASE_URL || undefined;
export const testRedisUrl = process.env.REDIS_URL || undefined;

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  database: AppDatabase;
  /** SQLite dir or Postgres schema: pass to a second openAppDatabase to simulate another process */
  location: { dataDir: string; schema?: string; databaseUrl?: string };
  /** opens another connection to the same database (a second "process") */
  reopen(): Promise<AppDatabase>;
  /** closes every connection opened here and removes the database */
  dispose(): Promise<void>;
}

/** A fresh, isolated database: a temp SQLite dir, or a unique Postgres schema dropped at dispose. */
export async function openTestDatabase(appId = 'testapp'): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-test-'));
  const schema = testDatabaseUrl ? uniqueName(`t_${appId}`) : undefined;
  const location = { dataDir, schema, databaseUrl: testDatabaseUrl };
  const opened: AppDatabase[] = [];
  const open = async () => {
    const db = await openAppDatabase({ appId, ...location });
    opened.push(db);
    return db;
  };
  const database = await open();
  return {
    database,
    location,
    reopen: open,
    async dispose() {
      await Promise.all(opened.map((d) => d.close().catch(() => {})));
      if (testDatabaseUrl && schema) await dropSchema(testDatabaseUrl, schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
