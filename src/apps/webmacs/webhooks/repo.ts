import type { Kysely, Transaction } from 'kysely';
import type { WebhookDeliveriesTable, WebhooksTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export type DeliveryStatus = WebhookDeliveriesTable['status'];

export interface WebhookRow {
  id: number;
  public_id: string;
  url: string;
  secret: string | null;
  events: string;
  enabled: boolean | number;
  created_on: number;
  user_public_id: string;
}

export interface DeliveryRow extends Omit<WebhookDeliveriesTable, 'id'> {
  id: number;
}

export type WebhookChanges = Partial<Pick<WebhooksTable, 'url' | 'secret' | 'events' | 'enabled'>>;

export function webhooksRepo(db: Kysely<WebmacsDatabase>) {
  const withOwner = (trx: Db = db) =>
    trx
      .selectFrom('webhooks')
      .innerJoin('users', 'users.id', 'webhooks.user_id')
      .select(['webhooks.id', 'webhooks.public_id', 'webhooks.url', 'webhooks.secret', 'webhooks.events', 'webhooks.enabled', 'webhooks.created_on'])
      .select('users.public_id as user_public_id');
  return {
    findByPublicId(publicId: string): Promise<WebhookRow | undefined> {
      return withOwner().where('webhooks.public_id', '=', publicId).executeTakeFirst();
    },
    findById(id: number): Promise<WebhookRow | undefined> {
      return withOwner().where('webhooks.id', '=', id).executeTakeFirst();
    },
    enabled(trx: Db = db): Promise<WebhookRow[]> {
      return withOwner(trx).where('webhooks.enabled', '=', true).orderBy('webhooks.id').execute();
    },
    async page(limit: number, offset: number): Promise<{ total: number; rows: WebhookRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        withOwner().orderBy('webhooks.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows };
    },
    async insert(row: Omit<WebhooksTable, 'id'>): Promise<void> {
      await db.insertInto('webhooks').values(row).execute();
    },
    async update(id: number, changes: WebhookChanges): Promise<void> {
      if (Object.values(changes).every((value) => value === undefined)) return;
      await db.updateTable('webhooks').set(changes).where('id', '=', id).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('webhooks').where('id', '=', id).execute();
    },

    /** pending or failed deliveries of each webhook, for the sensor.reading backlog cap (spec §4.4) */
    async backlog(webhookIds: number[], trx: Db = db): Promise<Map<number, number>> {
      if (webhookIds.length === 0) return new Map();
      const rows = await trx
        .selectFrom('webhook_deliveries')
        .select(['webhook_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('webhook_id', 'in', webhookIds)
        .where('status', 'in', ['pending', 'failed'])
        .groupBy('webhook_id')
        .execute();
      return new Map(rows.map((row) => [Number(row.webhook_id), Number(row.n)]));
    },
    async insertDeliveries(trx: Db, rows: Array<Omit<WebhookDeliveriesTable, 'id'>>): Promise<number[]> {
      if (rows.length === 0) return [];
      const inserted = await trx.insertInto('webhook_deliveries').values(rows).returning('id').execute();
      return inserted.map((row) => Number(row.id)).sort((a, b) => a - b);
    },
    findDelivery(id: number): Promise<DeliveryRow | undefined> {
      return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst() as Promise<DeliveryRow | undefined>;
    },
    findDeliveryByPublicId(webhookId: number, publicId: string): Promise<DeliveryRow | undefined> {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .where('public_id', '=', publicId)
        .executeTakeFirst() as Promise<DeliveryRow | undefined>;
    },
    async recordAttempt(id: number, changes: Partial<Omit<WebhookDeliveriesTable, 'id'>>): Promise<void> {
      await db.updateTable('webhook_deliveries').set(changes).where('id', '=', id).execute();
    },
    /** Deletes rows of one status created before `before`, a chunk per statement; returns how many. */
    async purgeDeliveries(status: DeliveryStatus, before: number, chunkRows: number): Promise<number> {
      let total = 0;
      for (;;) {
        const chunk = db.selectFrom('webhook_deliveries').select('id').where('status', '=', status).where('created_on', '<', before).limit(chunkRows);
        const result = await db.deleteFrom('webhook_deliveries').where('id', 'in', chunk).executeTakeFirst();
        const deleted = Number(result.numDeletedRows);
        total += deleted;
        if (deleted < chunkRows) return total;
      }
    },
    /** Newest first (spec §2.6), optionally one status. */
    async deliveriesPage(webhookId: number, status: DeliveryStatus | undefined, limit: number, offset: number) {
      let count = db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('webhook_id', '=', webhookId);
      let rows = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
      if (status) {
        count = count.where('status', '=', status);
        rows = rows.where('status', '=', status);
      }
      const [total, data] = await Promise.all([
        count.executeTakeFirstOrThrow(),
        rows.orderBy('created_on', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(total.n), rows: data as DeliveryRow[] };
    },
  };
}

export type WebhooksRepo = ReturnType<typeof webhooksRepo>;
