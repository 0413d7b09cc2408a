import type { Kysely, Selectable } from 'kysely';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead_letter';

export interface OutboundDeliveriesTable {
  id: string;
  target: string;
  url: string;
  event_type: string;
  payload: string;
  headers: string;
  signing: string | null;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  response_code: number | null;
  duration_ms: number | null;
  redelivery_of: string | null;
  created_at: number;
  delivered_at: number | null;
  priority: number;
}

export interface OutboundSchema {
  outbound_deliveries: OutboundDeliveriesTable;
}

export type DeliveryRow = Selectable<OutboundDeliveriesTable>;

export interface DeliveryFilter {
  target?: string;
  status?: DeliveryStatus;
}

export type AttemptOutcome = Pick<
  OutboundDeliveriesTable,
  'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'response_code' | 'duration_ms' | 'delivered_at'
>;

/** 18 columns a row: 500 rows are 9,000 parameters (SQLite allows 32,766, Postgres 65,535) */
const INSERT_CHUNK_ROWS = 500;

/**
 * All of outbound's SQL. `waiting` are the statuses of deliveries that still have an attempt coming
 * (`pending`, plus `failed` when the app's policy shows retries as failed).
 */
export function createOutboundRepository(db: Kysely<OutboundSchema>, waiting: readonly DeliveryStatus[] = ['pending']) {
  const filtered = (filter: DeliveryFilter) => {
    let query = db.selectFrom('outbound_deliveries');
    if (filter.target !== undefined) query = query.where('target', '=', filter.target);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return query;
  };

  const findById = (id: string): Promise<DeliveryRow | undefined> =>
    db.selectFrom('outbound_deliveries').selectAll().where('id', '=', id).executeTakeFirst();

  return {
    findById,

    /** in statements of INSERT_CHUNK_ROWS, well inside both dialects' parameter limits */
    async insertMany(rows: readonly DeliveryRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) await db.insertInto('outbound_deliveries').values(rows.slice(i, i + INSERT_CHUNK_ROWS)).execute();
    },

    list(filter: DeliveryFilter, limit: number, offset: number): Promise<DeliveryRow[]> {
      return filtered(filter).selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    },

    async count(filter: DeliveryFilter): Promise<number> {
      const row = await filtered(filter).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      return Number(row.total);
    },

    /**
     * Due deliveries, oldest delivery first within a priority: a retry keeps its delivery's place in
     * line, so it never waits behind first attempts queued after that delivery began.
     */
    due(now: number, limit: number): Promise<Array<Pick<DeliveryRow, 'id' | 'next_attempt_at' | 'attempts' | 'max_attempts'>>> {
      return db
        .selectFrom('outbound_deliveries')
        .select(['id', 'next_attempt_at', 'attempts', 'max_attempts'])
        .where('status', 'in', waiting)
        .where('next_attempt_at', '<=', now)
        .orderBy('priority', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    async backlog(target: string): Promise<number> {
      const row = await db
        .selectFrom('outbound_deliveries')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where('target', '=', target)
        .where('status', 'in', waiting)
        .executeTakeFirstOrThrow();
      return Number(row.total);
    },

    async deleteTarget(target: string): Promise<number> {
      const result = await db.deleteFrom('outbound_deliveries').where('target', '=', target).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async purge(status: DeliveryStatus, before: number, chunkRows: number): Promise<number> {
      let total = 0;
      for (;;) {
        const chunk = db.selectFrom('outbound_deliveries').select('id').where('status', '=', status).where('created_at', '<', before).limit(chunkRows);
        const result = await db.deleteFrom('outbound_deliveries').where('id', 'in', chunk).executeTakeFirst();
        const deleted = Number(result.numDeletedRows);
        total += deleted;
        if (deleted < chunkRows) return total;
      }
    },

    async nextDueAt(): Promise<number | undefined> {
      const row = await db
        .selectFrom('outbound_deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('next'))
        .where('status', 'in', waiting)
        .executeTakeFirst();
      return row?.next == null ? undefined : Number(row.next);
    },

    /**
     * Takes a due delivery for one attempt by moving its next_attempt_at to the lease's end, and
     * counts the attempt at once: one cut short by a crash still counts (spec: at-least-once, never
     * more than max_attempts). Only one instance's update can match the old value; if the attempt dies
     * with its process, the lease runs out and any instance takes the delivery again.
     */
    async claim(id: string, expectedNextAttemptAt: number, leaseUntil: number): Promise<DeliveryRow | undefined> {
      const result = await db
        .updateTable('outbound_deliveries')
        .set((eb) => ({ next_attempt_at: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', 'in', waiting)
        .where('next_attempt_at', '=', expectedNextAttemptAt)
        .whereRef('attempts', '<', 'max_attempts')
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return undefined;
      return findById(id);
    },

    /** Gives a claimed attempt back uncounted (a graceful stop aborted it), unless the lease was lost. */
    async release(id: string, leaseUntil: number, nextAttemptAt: number): Promise<void> {
      await db
        .updateTable('outbound_deliveries')
        .set((eb) => ({ next_attempt_at: nextAttemptAt, attempts: eb('attempts', '-', 1) }))
        .where('id', '=', id)
        .where('status', 'in', waiting)
        .where('next_attempt_at', '=', leaseUntil)
        .execute();
    },

    /** Ends a due delivery that has no attempt left (its last one was cut short); false if another instance got there first. */
    async exhaust(id: string, expectedNextAttemptAt: number, outcome: Pick<AttemptOutcome, 'status' | 'last_error'>): Promise<boolean> {
      const result = await db
        .updateTable('outbound_deliveries')
        .set(outcome)
        .where('id', '=', id)
        .where('status', 'in', waiting)
        .where('next_attempt_at', '=', expectedNextAttemptAt)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async recordAttempt(id: string, outcome: AttemptOutcome): Promise<void> {
      await db.updateTable('outbound_deliveries').set(outcome).where('id', '=', id).execute();
    },
  };
}

export type OutboundRepository = ReturnType<typeof createOutboundRepository>;
