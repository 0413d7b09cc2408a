import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';

const HEALTH_STATUS_KEY = 'health_status';

/** The last health status every instance agrees on, in `app_state` (spec §4.6). */
export function healthStateRepo() {
  return {
    async storedStatus(trx: Kysely<WebmacsDatabase>): Promise<string | undefined> {
      const row = await trx.selectFrom('app_state').select('value').where('key', '=', HEALTH_STATUS_KEY).executeTakeFirst();
      return row === undefined ? undefined : (JSON.parse(row.value) as string);
    },

    /**
     * Moves the stored status from `expected` (undefined: none stored yet) to `next`; false when another
     * instance changed it first, so exactly one instance reports each transition.
     */
    async compareAndSet(trx: Kysely<WebmacsDatabase>, expected: string | undefined, next: string): Promise<boolean> {
      if (expected === undefined) {
        const result = await trx
          .insertInto('app_state')
          .values({ key: HEALTH_STATUS_KEY, value: JSON.stringify(next) })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
      }
      const result = await trx
        .updateTable('app_state')
        .set({ value: JSON.stringify(next) })
        .where('key', '=', HEALTH_STATUS_KEY)
        .where('value', '=', JSON.stringify(expected))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type HealthStateRepo = ReturnType<typeof healthStateRepo>;
