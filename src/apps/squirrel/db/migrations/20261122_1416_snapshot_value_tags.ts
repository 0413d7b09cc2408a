import type { Kysely, Migration } from 'kysely';

/** A snapshot value keeps the PV's tags as at capture time, for when the PV or its tags are gone (spec §10, D13). */
export const snapshotValueTags: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('snapshot_value').addColumn('tags', 'text').execute();
  },
};
