import type { Migration } from 'kysely';
import { accounts } from './0001_accounts.ts';
import { lab } from './0002_lab.ts';

/** Part B may append later migrations here (`0003_…`); names sort lexically. */
export const webmacsMigrations: Record<string, Migration> = {
  '0001_accounts': accounts,
  '0002_lab': lab,
};
