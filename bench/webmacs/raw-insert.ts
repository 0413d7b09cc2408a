/**
 * R_raw (spec §9): the raw insert rate the ingest scenarios are compared with — better-sqlite3 on a
 * database with webmacs' own schema, indexes and pragmas (made by the server's migrations), the same
 * rows as the ingest scenarios inserted as 500-row prepared multi-row statements, one transaction per
 * batch, for 30 s.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { durations, loadAverage, removeDataDir, report, setupLab, startServer } from './_support/harness.ts';

const ROWS_PER_BATCH = 500;
const EVENTS = 50;

export async function measureRawInsert(durationS = Number(process.env.BENCH_RAW_S ?? 30)): Promise<{ rowsPerS: number; rows: number; seconds: number }> {
  const server = await startServer();
  await setupLab(server.url, EVENTS, 'Raw');
  await server.stop();
  const sqlite = new Database(path.join(server.dataDir, 'webmacs.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const eventIds = (sqlite.prepare('select id from events order by id').all() as Array<{ id: number }>).map((row) => row.id);
  const insert = sqlite.prepare(`insert into datapoints (event_id, ts, value, experiment_id) values ${new Array(ROWS_PER_BATCH).fill('(?, ?, ?, ?)').join(', ')}`);
  const insertBatch = sqlite.transaction((parameters: unknown[]) => insert.run(parameters));
  const parameters = new Array<unknown>(ROWS_PER_BATCH * 4);
  let rows = 0;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  while (performance.now() < deadline) {
    const ts = Date.now() * 1000;
    for (let i = 0; i < ROWS_PER_BATCH; i++) {
      parameters[i * 4] = eventIds[(rows + i) % eventIds.length];
      parameters[i * 4 + 1] = ts;
      parameters[i * 4 + 2] = Math.round(Math.random() * 100_000) / 100;
      parameters[i * 4 + 3] = null;
    }
    insertBatch(parameters);
    rows += ROWS_PER_BATCH;
  }
  const seconds = (performance.now() - started) / 1000;
  sqlite.close();
  removeDataDir(server);
  return { rowsPerS: Math.round(rows / seconds), rows, seconds: Math.round(seconds * 10) / 10 };
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const { measureS } = durations(30, 0);
  const raw = await measureRawInsert(measureS);
  report('webmacs/raw-insert', { load_average_start: loadStart, r_raw_rows_per_s: raw.rowsPerS, rows: raw.rows, seconds: raw.seconds }, [
    `R_raw: ${raw.rowsPerS.toLocaleString('en')} rows/s (${raw.rows.toLocaleString('en')} rows in ${raw.seconds} s, 500-row prepared statements, one transaction per batch)`,
  ]);
}
