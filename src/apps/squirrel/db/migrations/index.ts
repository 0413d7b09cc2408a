import type { Migration } from 'kysely';
import { initial } from './0001_initial.ts';
import { pvSearchIndex } from './20261122_1415_pv_search_index.ts';
import { snapshotValueTags } from './20261122_1416_snapshot_value_tags.ts';
import { snapshotValueLean } from './20261122_1700_snapshot_value_lean.ts';
import { pvSearchProbeIndex } from './20261122_1710_search_probe_index.ts';

export const squirrelMigrations: Record<string, Migration> = {
  '0001_initial': initial,
  '20261122_1415_pv_search_index': pvSearchIndex,
  '20261122_1416_snapshot_value_tags': snapshotValueTags,
  '20261122_1700_snapshot_value_lean': snapshotValueLean,
  '20261122_1710_search_probe_index': pvSearchProbeIndex,
};
