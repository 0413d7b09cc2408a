import type { Kysely, Transaction } from 'kysely';
import type { RulesTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export interface RuleRow {
  id: number;
  public_id: string;
  name: string;
  event_id: number;
  event_public_id: string;
  operator: string;
  threshold: number;
  threshold_high: number | null;
  action_type: 'webhook' | 'log';
  webhook_event_type: string | null;
  enabled: boolean | number;
  cooldown_seconds: number;
  last_triggered_at: number | null;
  created_on: number;
  user_id: number;
  user_public_id: string;
}

export type RuleChanges = Partial<Omit<RulesTable, 'id' | 'public_id' | 'created_on' | 'user_id' | 'last_triggered_at'>>;

export function rulesRepo(db: Kysely<WebmacsDatabase>) {
  const joined = () =>
    db
      .selectFrom('rules')
      .innerJoin('events', 'events.id', 'rules.event_id')
      .innerJoin('users', 'users.id', 'rules.user_id')
      .selectAll('rules')
      .select(['events.public_id as event_public_id', 'users.public_id as user_public_id']);
  const normalise = (row: RuleRow): RuleRow => ({ ...row, id: Number(row.id), event_id: Number(row.event_id), user_id: Number(row.user_id) });
  return {
    async findByPublicId(publicId: string): Promise<RuleRow | undefined> {
      const row = (await joined().where('rules.public_id', '=', publicId).executeTakeFirst()) as RuleRow | undefined;
      return row && normalise(row);
    },
    async page(limit: number, offset: number): Promise<{ total: number; rows: RuleRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('rules').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        joined().orderBy('rules.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows: (rows as RuleRow[]).map(normalise) };
    },
    async enabled(): Promise<RuleRow[]> {
      const rows = await joined().where('rules.enabled', '=', true).orderBy('rules.id').execute();
      return (rows as RuleRow[]).map(normalise);
    },
    async insert(row: Omit<RulesTable, 'id'>): Promise<void> {
      await db.insertInto('rules').values(row).execute();
    },
    async update(id: number, changes: RuleChanges): Promise<void> {
      if (Object.values(changes).every((value) => value === undefined)) return;
      await db.updateTable('rules').set(changes).where('id', '=', id).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('rules').where('id', '=', id).execute();
    },
    /**
     * The cooldown claim of spec §4.3: one conditional UPDATE, so across requests and instances only
     * one evaluation wins a firing.
     */
    async claim(trx: Db, id: number, now: number, cooldownSeconds: number): Promise<boolean> {
      const result = await trx
        .updateTable('rules')
        .set({ last_triggered_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_triggered_at', 'is', null), eb('last_triggered_at', '<=', now - cooldownSeconds * 1_000_000)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type RulesRepo = ReturnType<typeof rulesRepo>;
