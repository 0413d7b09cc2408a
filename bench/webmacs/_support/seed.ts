/**
 * Bulk rows for the read scenarios (P4, P5, P8), written straight into the stopped server's database
 * in one set-based statement per chunk — the API would take longer than the measurement itself.
 * Points are spread evenly over `spanUs` up to now, round-robin over the events.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ServerHandle } from './harness.ts';

const CHUNK_ROWS = 1_000_000;

export interface SeedPlan {
  rows: number;
  spanUs: number;
  /** only events whose name starts with this */
  eventPrefix: string;
}

function chunks(rows: number): Array<[number, number]> {
  const list: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += CHUNK_ROWS) list.push([start, Math.min(rows, start + CHUNK_ROWS)]);
  return list;
}

export async function seedDatapoints(server: ServerHandle, plan: SeedPlan): Promise<{ seconds: number }> {
  const started = performance.now();
  const nowUs = Date.now() * 1000;
  const stepUs = plan.spanUs / plan.rows;
  const databaseUrl = server.env.DATABASE_URL;
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl, options: '-c search_path=webmacs' });
    await client.connect();
    const { rows: events } = await client.query<{ id: string }>('select id from events where name like $1 order by id', [`${plan.eventPrefix}%`]);
    const ids = events.map((e) => Number(e.id));
    for (const [from, to] of chunks(plan.rows)) {
      await client.query(
        `insert into datapoints (event_id, ts, value)
         select ($1::bigint[])[1 + (i % $2)], $3::bigint + floor(i * $4::float8)::bigint, round((random() * 1000)::numeric, 2)::float8
         from generate_series($5::bigint, $6::bigint - 1) as i`,
        [ids, ids.length, nowUs - plan.spanUs, stepUs, from, to],
      );
    }
    await client.query('analyze datapoints');
    await client.end();
  } else {
    const sqlite = new Database(path.join(server.dataDir, 'webmacs.db'));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    const ids = (sqlite.prepare('select id from events where name like ? order by id').all(`${plan.eventPrefix}%`) as Array<{ id: number }>).map((e) => e.id);
    sqlite.exec('create temp table seed_events (slot integer primary key, id integer)');
    const addSlot = sqlite.prepare('insert into seed_events (slot, id) values (?, ?)');
    ids.forEach((id, slot) => addSlot.run(slot, id));
    const insert = sqlite.prepare(
      `with recursive n(i) as (select ? union all select i + 1 from n where i + 1 < ?)
       insert into datapoints (event_id, ts, value)
       select (select id from seed_events where slot = i % ?), ? + cast(i * ? as integer), round(abs(random() % 100000) / 100.0, 2) from n`,
    );
    for (const [from, to] of chunks(plan.rows)) sqlite.transaction(() => insert.run(from, to, ids.length, nowUs - plan.spanUs, stepUs))();
    sqlite.exec('analyze');
    sqlite.close();
  }
  return { seconds: Math.round((performance.now() - started) / 100) / 10 };
}
