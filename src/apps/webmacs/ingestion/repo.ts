import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { isPostgres } from '../db/dialect.ts';
import type { IdempotencyKeysTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

/** Rows to store, column by column (spec §4.1 step 4); one running experiment applies to all of them. */
export interface NewDatapoints {
  eventId: readonly number[];
  ts: readonly number[];
  value: readonly number[];
  experimentId: number | null;
}

/** Rows per INSERT statement (spec §4.1 step 4); 4 parameters each stays under every dialect's limit. */
const ROWS_PER_STATEMENT = 500;

export type StoredResponse = Pick<IdempotencyKeysTable, 'request_sha256' | 'status_code' | 'body'>;

/** Stores rows `from … to − 1` in one statement and returns their ids in row order. */
type InsertChunk = (trx: Db, rows: NewDatapoints, from: number, to: number) => Promise<number[]>;

/*
 * The insert is written as SQL text rather than built with Kysely: building and compiling a 500-row
 * insert cost more CPU than SQLite spent storing it. The text depends only on the row count, so it is
 * made once per count, and SQLite's statement cache keeps each one compiled.
 */

/**
 * SQLite: multi-row `VALUES`. Row counts are split into 500 and powers of two so that only ten
 * statement texts ever exist, whatever sizes clients send. The rowids of one statement are consecutive
 * (one writer, AUTOINCREMENT), so they follow from the last one without a RETURNING result set.
 */
const SQLITE_STATEMENT_SIZES = [ROWS_PER_STATEMENT, 256, 128, 64, 32, 16, 8, 4, 2, 1];

function sqliteInsertChunk(): InsertChunk {
  const texts = new Map<number, string>();
  const textFor = (count: number) => {
    let text = texts.get(count);
    if (text === undefined) {
      text = `insert into "datapoints" ("event_id", "ts", "value", "experiment_id") values ${new Array(count).fill('(?, ?, ?, ?)').join(', ')}`;
      texts.set(count, text);
    }
    return text;
  };
  const insert = async (trx: Db, rows: NewDatapoints, from: number, count: number, ids: number[]) => {
    const parameters = new Array<unknown>(count * 4);
    for (let i = 0; i < count; i++) {
      parameters[i * 4] = rows.eventId[from + i];
      parameters[i * 4 + 1] = rows.ts[from + i];
      parameters[i * 4 + 2] = rows.value[from + i];
      parameters[i * 4 + 3] = rows.experimentId;
    }
    const { insertId } = await trx.executeQuery(CompiledQuery.raw(textFor(count), parameters));
    const first = Number(insertId) - count + 1;
    for (let i = 0; i < count; i++) ids.push(first + i);
  };
  return async (trx, rows, from, to) => {
    const ids: number[] = [];
    let start = from;
    for (const size of SQLITE_STATEMENT_SIZES) {
      while (to - start >= size) {
        await insert(trx, rows, start, size, ids);
        start += size;
      }
    }
    return ids;
  };
}

/** Postgres: the columns as four array parameters (`INSERT … SELECT FROM unnest(…)`), one text for every size. */
function postgresInsertChunk(): InsertChunk {
  const text = `insert into "datapoints" ("event_id", "ts", "value", "experiment_id")
    select * from unnest($1::bigint[], $2::bigint[], $3::double precision[], $4::bigint[]) returning "id"`;
  return async (trx, rows, from, to) => {
    const experimentIds = new Array<number | null>(to - from).fill(rows.experimentId);
    const parameters = [rows.eventId.slice(from, to), rows.ts.slice(from, to), rows.value.slice(from, to), experimentIds];
    const { rows: returned } = await trx.executeQuery<{ id: number | string }>(CompiledQuery.raw(text, parameters));
    // unnest yields the rows in array order and each takes the next sequence value; RETURNING promises no order
    return returned.map((row) => Number(row.id)).sort((a, b) => a - b);
  };
}

export function ingestionRepo(db: Kysely<WebmacsDatabase>) {
  const insertChunk = isPostgres(db) ? postgresInsertChunk() : sqliteInsertChunk();
  return {
    /** Inserts the rows in input order and returns their ids in the same order. */
    async insertDatapoints(trx: Db, rows: NewDatapoints): Promise<number[]> {
      const ids: number[] = [];
      for (let start = 0; start < rows.eventId.length; start += ROWS_PER_STATEMENT) {
        const chunkIds = await insertChunk(trx, rows, start, Math.min(start + ROWS_PER_STATEMENT, rows.eventId.length));
        for (const id of chunkIds) ids.push(id);
      }
      return ids;
    },

    findResponse(userId: number, key: string): Promise<StoredResponse | undefined> {
      return db
        .selectFrom('idempotency_keys')
        .select(['request_sha256', 'status_code', 'body'])
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
    },

    async storeResponse(trx: Db, record: IdempotencyKeysTable): Promise<void> {
      await trx.insertInto('idempotency_keys').values(record).execute();
    },
  };
}

export type IngestionRepo = ReturnType<typeof ingestionRepo>;
