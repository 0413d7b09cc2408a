import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openSqlite } from '../../../src/core/db/sqlite.ts';
import type { AppDatabase } from '../../../src/core/db/index.ts';

interface Schema {
  items: { id: number; name: string; data: Buffer | null; amount: number | null };
}

/** SQLite's own work of several milliseconds, returning one small row: the kind of read readers take */
const costly = (db: Kysely<Schema>, extra = sql`0`) =>
  sql<{ n: number; extra: unknown }>`with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000) select count(*) as n, ${extra} as extra from n`.execute(db);

/** event-loop turns taken while `work` is in flight: none when it runs on this thread */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  const ticking = (async () => {
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
  })();
  await work;
  done = true;
  await ticking;
  return turns;
}

async function createItems(database: AppDatabase): Promise<Kysely<Schema>> {
  const db = database.db as Kysely<Schema>;
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('data', 'blob')
    .addColumn('amount', 'real')
    .execute();
  return db;
}

describe('sqlite reader threads: costly reads outside transactions run beside the main connection', () => {
  let dataDir: string;
  let database: AppDatabase;
  let db: Kysely<Schema>;
  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-readers-'));
    database = openSqlite('readers', dataDir, 2);
    db = await createItems(database);
    await db
      .insertInto('items')
      .values([
        { id: 1, name: 'a', data: Buffer.from([0, 1, 2, 255]), amount: 0.25 },
        { id: 2, name: 'b\u{1F600}', data: null, amount: Infinity },
        { id: 3, name: 'c', data: null, amount: 1.5 },
      ])
      .execute();
  });
  after(async () => {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a read found costly leaves the event loop free while it runs, and answers the same', async () => {
    const inline = await turnsDuring(costly(db)); // first run: on this thread, to learn its cost
    assert.ok(inline <= 1, `the event loop turned ${inline} times during a read on its thread`);
    let result: Awaited<ReturnType<typeof costly>> | undefined;
    const turns = await turnsDuring(costly(db).then((r) => (result = r)));
    assert.ok(turns > 5, `the event loop turned ${turns} times during a reader's read`);
    assert.deepEqual(result?.rows, [{ n: 200000, extra: 0 }]);
  });

  it("a reader's rows carry every value exactly: blobs as Buffers, -0, infinities, repeated names", async () => {
    const everything = () =>
      sql<Record<string, unknown>>`select items.*, name as dup, id as dup, -0.0 as negative_zero, (select count(*) from (with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000) select i from n)) as work from items order by id`.execute(db);
    const onMain = await everything();
    const fromReader = await everything();
    assert.equal(await turnsDuring(everything()) > 0, true, 'the third run went to a reader');
    assert.deepEqual(fromReader.rows, onMain.rows);
    const [first, second] = fromReader.rows;
    assert.ok(Buffer.isBuffer(first?.data));
    assert.deepEqual([...(first?.data as Buffer)], [0, 1, 2, 255]);
    assert.ok(Object.is(first?.negative_zero, -0));
    assert.equal(second?.amount, Infinity);
    assert.equal(second?.name, 'b\u{1F600}');
    assert.equal(first?.dup, 1, 'a repeated name keeps the last column');
    assert.deepEqual(Object.keys(first ?? {}), ['id', 'name', 'data', 'amount', 'dup', 'negative_zero', 'work']);
  });

  it('a read while a transaction holds the main connection does not wait for it and sees only committed rows', async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const hold = new Promise<void>((resolve) => (finish = resolve));
    const transaction = database.transaction(async (trx) => {
      await (trx as Kysely<Schema>).insertInto('items').values({ id: 9, name: 'uncommitted', data: null, amount: null }).execute();
      inside();
      await hold;
    });
    await entered;
    try {
      const names = await db.selectFrom('items').select('name').orderBy('id').execute();
      assert.deepEqual(names.map((r) => r.name), ['a', 'b\u{1F600}', 'c'], 'answered before the transaction ended');
    } finally {
      finish();
      await transaction;
    }
    const after = await db.selectFrom('items').select('name').orderBy('id').execute();
    assert.equal(after.at(-1)?.name, 'uncommitted');
    await db.deleteFrom('items').where('id', '=', 9).execute();
  });

  it('a costly read issued after a write sees it', async () => {
    const withItems = () => costly(db, sql`(select group_concat(name) from items where id > 3)`);
    await withItems();
    for (let id = 10; id < 13; id++) {
      await db.insertInto('items').values({ id, name: `n${id}`, data: null, amount: null }).execute();
      const names = String((await withItems()).rows[0]?.extra).split(',');
      assert.equal(names.at(-1), `n${id}`);
    }
    await db.deleteFrom('items').where('id', '>=', 10).execute();
  });

  it('after a column is added, a statement a reader has cached reads it too', async () => {
    const everything = async () =>
      Object.keys(
        (await sql<Record<string, unknown>>`select items.*, (select count(*) from (with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000) select i from n)) as work from items where id = 1`.execute(db)).rows[0] ?? {},
      );
    await everything();
    assert.deepEqual(await everything(), ['id', 'name', 'data', 'amount', 'work']);
    await db.schema.alterTable('items').addColumn('colour', 'text').execute();
    try {
      // the first run after the change is on the main thread, which learns the statement anew; then a reader
      for (let run = 0; run < 2; run++) assert.deepEqual(await everything(), ['id', 'name', 'data', 'amount', 'colour', 'work']);
    } finally {
      await db.schema.alterTable('items').dropColumn('colour').execute();
    }
    for (let run = 0; run < 2; run++) assert.deepEqual(await everything(), ['id', 'name', 'data', 'amount', 'work']);
  });

  it('a failing read rejects with the SQLite error and its code', async () => {
    const failing = () => costly(db, sql`(select json_extract('not json', '$'))`);
    await assert.rejects(failing(), (err: Error & { code?: string }) => /malformed JSON/.test(err.message) && err.code === 'SQLITE_ERROR');
  });

  it('a database closed and created anew at the same path is read afresh, not from the old file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-readers-again-'));
    const count = (d: Kysely<Schema>) => costly(d, sql`(select count(*) from items)`);
    try {
      const first = openSqlite('again', dir, 2);
      const firstDb = await createItems(first);
      await firstDb.insertInto('items').values({ id: 1, name: 'old', data: null, amount: null }).execute();
      await count(firstDb);
      assert.equal((await count(firstDb)).rows[0]?.extra, 1);
      await first.close();
      for (const file of fs.readdirSync(dir)) fs.rmSync(path.join(dir, file));
      const second = openSqlite('again', dir, 2);
      const secondDb = await createItems(second);
      await count(secondDb);
      assert.equal((await count(secondDb)).rows[0]?.extra, 0);
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a read no reader can run (its file removed underneath the server) is answered by the main connection', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-readers-gone-'));
    try {
      const database = openSqlite('gone', dir, 2);
      const db = await createItems(database);
      await db.insertInto('items').values({ id: 1, name: 'kept', data: null, amount: null }).execute();
      const count = () => costly(db, sql`(select group_concat(name) from items)`);
      await count(); // on the main thread, which learns the read is costly; no reader has opened the file yet
      for (const file of fs.readdirSync(dir)) fs.rmSync(path.join(dir, file));
      assert.deepEqual((await count()).rows, [{ n: 200000, extra: 'kept' }]);
      await database.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a lone caller's costly read stays on the main thread; with others waiting, or a reader busy, it goes to a reader", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-readers-sole-'));
    let sole = true;
    const database = openSqlite('sole', dir, 2, () => sole);
    try {
      const db = await createItems(database);
      await costly(db); // learns the read is costly
      const inline = await turnsDuring(costly(db));
      assert.ok(inline <= 1, `a lone caller's read let the event loop turn ${inline} times`);
      sole = false;
      const offloaded = await turnsDuring(costly(db));
      assert.ok(offloaded > 5, `with other callers, the event loop turned only ${offloaded} times`);
      // a read already on a reader means another caller: the next one goes to a reader too
      const first = costly(db);
      await new Promise((resolve) => setImmediate(resolve));
      sole = true;
      const second = await turnsDuring(costly(db));
      await first;
      assert.ok(second > 5, `beside a reader's read, the event loop turned only ${second} times`);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
