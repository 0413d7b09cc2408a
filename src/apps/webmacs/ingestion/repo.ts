import type { Kysely, Transaction } from 'kysely';
import type { IdempotencyKeysTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export interface NewDatapoint {
  event_id: number;
  ts: number;
  value: number;
  experiment_id: number | null;
}

/** Rows per INSERT statement (spec §4.1 step 4); 4 parameters each stays under every dialect's limit. */
const ROWS_PER_STATEMENT = 500;

export type StoredResponse = Pick<IdempotencyKeysTable, 'request_sha256' | 'status_code' | 'body'>;

export function ingestionRepo(db: Kysely<WebmacsDatabase>) {
  return {
    /** Inserts the rows in input order and returns their ids in the same order. */
    async insertDatapoints(trx: Db, rows: readonly NewDatapoint[]): Promise<number[]> {
      const ids: number[] = [];
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const returned = await trx.insertInto('datapoints').values(chunk).returning('id').execute();
        // ids of one multi-row insert are consecutive in row order; RETURNING does not promise an order
        ids.push(...returned.map((row) => Number(row.id)).sort((a, b) => a - b));
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
