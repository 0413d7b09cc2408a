import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest } from '../../../src/core/db/index.ts';
import { webmacsMigrations } from '../../../src/apps/webmacs/db/migrations/index.ts';
import { openTestDatabase, type TestDatabase } from '../../helpers/db.ts';

describe('webmacs migrations (spec §7)', () => {
  let test: TestDatabase;
  const tables = async () => (await test.database.db.introspection.getTables()).map((table) => table.name);

  before(async () => {
    test = await openTestDatabase('webmacs');
  });
  after(() => test.dispose());

  it('0003 drops the webhook_deliveries table of a database made by 0001–0002 (deliveries live in the core outbound table)', async () => {
    const { '0001_accounts': accounts, '0002_lab': lab } = webmacsMigrations;
    await migrateToLatest(test.database, { name: 'webmacs', migrations: { '0001_accounts': accounts!, '0002_lab': lab! } });
    assert.ok((await tables()).includes('webhook_deliveries'));
    const result = await migrateToLatest(test.database, { name: 'webmacs', migrations: webmacsMigrations });
    assert.deepEqual(result.results?.map((r) => [r.migrationName, r.status]), [['0003_drop_webhook_deliveries', 'Success']]);
    const remaining = await tables();
    assert.ok(!remaining.includes('webhook_deliveries'));
    assert.ok(remaining.includes('webhooks') && remaining.includes('datapoints'));
  });
});
