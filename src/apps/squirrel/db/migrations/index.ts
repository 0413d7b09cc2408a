import type { Migration } from 'kysely';
import { initial } from './0001_initial.ts';

export const squirrelMigrations: Record<string, Migration> = {
  '0001_initial': initial,
};
