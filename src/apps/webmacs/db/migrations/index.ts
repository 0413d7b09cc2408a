import type { Migration } from 'kysely';
import { accounts } from './0001_accounts.ts';
import { lab } from './0002_lab.ts';
import { dropWebhookDeliveries } from './0003_drop_webhook_deliveries.ts';

/** Later migrations are appended here; names sort lexically. */
export const webmacsMigrations: Record<string, Migration> = {
  '0001_accounts': accounts,
  '0002_lab': lab,
  '0003_drop_webhook_deliveries': dropWebhookDeliveries,
};
