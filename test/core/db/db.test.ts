import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { migrateToLatest, prepareQuery } from '../../../src/core/db/index.ts';
import { openTestDatabase, testDatabaseUrl, type TestDatabase } from '../../helpers/db.ts';

interface Schema {
  items: { id: number; name: string; active: boolean | number; size: number };
}

const migrations = {
  '0001_items': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('items')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('active', 'boolean', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};

describe(`db (${testDatabaseUrl ? 'postgres' : 'sqlite'}): one database per app, same repo code on both dialects`, () => {
  let t: TestDatabase;
  let db: Kysely<Schema>;
  before(async () => {
    t = await openTestDatabase('dbtest');
    await migrateToLatest(t.database, { name: 'dbtest', migrations });
    db = t.database.db as Kysely<Schema>;
  });
  after(() => t.dispose());

  it('migrations are idempotent', async () => {
    const again = await migrateToLatest(t.database, { name: 'dbtest', migrations });
    assert.deepEqual(again.results, []);
  });

  it('booleans and big integers round-trip as JS values', async () => {
    await db.insertInto('items').values({ id: 1, name: 'a', active: true, size: 2 ** 40 }).execute();
    const row = await db.selectFrom('items').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    assert.equal(Boolean(row.active), true);
    assert.equal(row.size, 2 ** 40);
    assert.equal(typeof row.size, 'number');
  });

  it('a unique violation is recognised by the dialect helper', async () => {
    await assert.rejects(
      db.insertInto('items').values({ id: 2, name: 'a', active: false, size: 1 }).execute(),
      (err) => t.database.dialect.isUniqueViolation(err),
    );
  });

  it('a failed transaction leaves nothing behind', async () => {
    await assert.rejects(
      t.database.transaction(async (trx) => {
        await trx.insertInto('items').values({ id: 3, name: 'c', active: false, size: 1 }).execute();
        throw new Error('abort');
      }),
      /abort/,
    );
    const found = await db.selectFrom('items').select('id').where('id', '=', 3).execute();
    assert.deepEqual(found, []);
  });

  it('a second connection (another process) sees committed rows', async () => {
    const other = await t.reopen();
    const rows = await (other.db as Kysely<Schema>).selectFrom('items').select('name').execute();
    assert.deepEqual(rows.map((r) => r.name), ['a']);
  });

  it('rows are plain objects keyed by column name, as the driver names them, on both dialects', async () => {
    const { rows } = await sql<Record<string, unknown>>`select id, name as dup, size as dup, null as missing from items where id = 1`.execute(db);
    assert.deepEqual(rows, [{ id: 1, dup: rows[0]?.dup, missing: null }]);
    assert.equal(Number(rows[0]?.dup), 2 ** 40, 'a repeated name keeps the last column');
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
  });

  it('a streamed query yields the same rows as a buffered one', { skip: testDatabaseUrl !== undefined && 'streaming is SQLite-only (no pg cursor configured)' }, async () => {
    const query = db.selectFrom('items').select(['id', 'name']).orderBy('id');
    const streamed: unknown[] = [];
    for await (const row of query.stream()) streamed.push(row);
    assert.deepEqual(streamed, await query.execute());
    assert.deepEqual(streamed, [{ id: 1, name: 'a' }]);
  });

  it('after a column is added, a query run before it sees the new column too', async () => {
    const everything = () => db.selectFrom('items').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    assert.deepEqual(Object.keys(await everything()), ['id', 'name', 'active', 'size']);
    await db.schema.alterTable('items').addColumn('colour', 'text').execute();
    try {
      assert.deepEqual(Object.keys(await everything()), ['id', 'name', 'active', 'size', 'colour']);
    } finally {
      await db.schema.alterTable('items').dropColumn('colour').execute();
    }
    assert.deepEqual(Object.keys(await everything()), ['id', 'name', 'active', 'size']);
  });

  it('ping answers while the database is up', async () => {
    await t.database.ping();
  });
});

describe(`db (${testDatabaseUrl ? 'postgres' : 'sqlite'}): prepared queries`, () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('dbprep');
    await migrateToLatest(t.database, { name: 'dbprep', migrations });
    await (t.database.db as Kysely<Schema>)
      .insertInto('items')
      .values([
        { id: 1, name: 'a', active: true, size: 10 },
        { id: 2, name: 'b', active: false, size: 20 },
        { id: 3, name: 'c', active: true, size: 30 },
      ])
      .execute();
  });
  after(() => t.dispose());

  it('runs one compiled query with new values each time, constants kept', async () => {
    const findActiveBySize = prepareQuery<{ min: number }, { name: string }>(({ min }) =>
      (t.database.db as Kysely<Schema>).selectFrom('items').select('name').where('size', '>=', min).where('active', '=', true).orderBy('id'),
    );
    assert.deepEqual((await findActiveBySize(t.database, { min: 0 })).rows, [{ name: 'a' }, { name: 'c' }]);
    assert.deepEqual((await findActiveBySize(t.database, { min: 15 })).rows, [{ name: 'c' }]);
  });

  it('binds the same placeholder in several places and in writes', async () => {
    const rename = prepareQuery<{ id: number; name: string }, never>(({ id, name }) =>
      (t.database.db as Kysely<Schema>).updateTable('items').set({ name }).where('id', '=', id),
    );
    await rename(t.database, { id: 2, name: 'bee' });
    const row = await (t.database.db as Kysely<Schema>).selectFrom('items').select('name').where('id', '=', 2).executeTakeFirstOrThrow();
    assert.equal(row.name, 'bee');
  });

  it("run while another caller's transaction is open, it never sees that transaction's uncommitted writes", async () => {
    const countItems = prepareQuery<Record<string, never>, { n: number }>(() =>
      (t.database.db as Kysely<Schema>).selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n')),
    );
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const hold = new Promise<void>((resolve) => (finish = resolve));
    const transaction = t.database.transaction(async (trx) => {
      await trx.insertInto('items').values({ id: 9, name: 'uncommitted', active: true, size: 1 }).execute();
      inside();
      await hold;
      throw new Error('roll back');
    });
    await entered;
    const counting = countItems(t.database, {});
    finish();
    await assert.rejects(transaction, /roll back/);
    assert.equal(Number((await counting).rows[0]?.n), 3);
  });

  it('refuses a placeholder used to shape the SQL', () => {
    assert.throws(
      () => prepareQuery<{ column: string }, unknown>(({ column }) => (t.database.db as Kysely<Schema>).selectFrom('items').select(column as 'name')),
      /shape the SQL/,
    );
  });
});
