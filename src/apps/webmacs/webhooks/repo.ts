import type { Kysely, Transaction } from 'kysely';
import type { WebhooksTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

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
  };
}

export type WebhooksRepo = ReturnType<typeof webhooksRepo>;
