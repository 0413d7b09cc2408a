import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { BusHandler, BusMessage, EventBus } from '../../../../src/core/events/index.ts';
import type { WebmacsDatabase } from '../../../../src/apps/webmacs/db/schema.ts';
import { cachedUsersRepo } from '../../../../src/apps/webmacs/users/cache.ts';
import type { UserRow, UsersRepo } from '../../../../src/apps/webmacs/users/repo.ts';

/** A bus that records publishes and lets the test deliver messages from another instance. */
function fakeBus() {
  const handlers: BusHandler[] = [];
  const published: { topic: string; payload: unknown }[] = [];
  const bus: EventBus = {
    instanceId: 'this-instance',
    publish: (topic, payload) => void published.push({ topic, payload }),
    subscribe: (_pattern, handler) => {
      handlers.push(handler as BusHandler);
      return () => void handlers.splice(handlers.indexOf(handler as BusHandler), 1);
    },
    close: async () => {},
  };
  const receive = (payload: unknown, origin = 'other-instance') => {
    const message: BusMessage = { topic: 'webmacs.config', payload, origin, at: Date.now() };
    for (const handler of [...handlers]) handler(message);
  };
  return { bus, published, receive, handlers };
}

const alice: UserRow = {
  id: 7,
  public_id: 'usr_alice',
  email: 'alice@lab.test',
  username: 'alice',
  password_hash: 'x',
  role: 'viewer',
  registered_on: 1,
  password_changed_at: null,
  sso_provider: null,
  sso_subject_id: null,
} as UserRow;

/** The users table as a counting double: `reads` tells how often the database was asked. */
function fakeRepo(rows: UserRow[] = [alice]) {
  const state = { reads: 0, rows: rows.map((r) => ({ ...r })), release: undefined as (() => void) | undefined, hold: false };
  const find = async (match: (row: UserRow) => boolean) => {
    state.reads += 1;
    const found = state.rows.find(match);
    const copy = found && { ...found };
    if (state.hold) await new Promise<void>((resolve) => (state.release = resolve));
    return copy;
  };
  const repo = {
    findById: (id: number) => find((row) => row.id === id),
    findByPublicId: (publicId: string) => find((row) => row.public_id === publicId),
    update: async (id: number, changes: Partial<UserRow>) => {
      state.rows = state.rows.map((row) => (row.id === id ? { ...row, ...changes } : row));
    },
  } as unknown as UsersRepo;
  return { repo, state };
}

const trx = {} as Kysely<WebmacsDatabase>;

describe('webmacs user cache (spec §2.4, §4.9)', () => {
  it('repeated lookups by id and by public id are answered from memory; lookups in a transaction always read', async () => {
    const { repo, state } = fakeRepo();
    const users = cachedUsersRepo(repo, fakeBus().bus);
    assert.equal((await users.findByPublicId('usr_alice'))?.username, 'alice');
    assert.equal((await users.findByPublicId('usr_alice'))?.username, 'alice');
    assert.equal((await users.findById(7))?.username, 'alice');
    assert.equal((await users.findById(7))?.username, 'alice');
    assert.equal(state.reads, 2);
    await users.findById(7, trx);
    assert.equal(state.reads, 3);
  });

  it('a cached row handed out cannot be changed by its caller', async () => {
    const { repo } = fakeRepo();
    const users = cachedUsersRepo(repo, fakeBus().bus);
    const first = (await users.findById(7))!;
    first.role = 'admin';
    assert.equal((await users.findById(7))?.role, 'viewer');
  });

  it('an update outside a transaction drops the cache and tells the other instances', async () => {
    const { repo } = fakeRepo();
    const { bus, published } = fakeBus();
    const users = cachedUsersRepo(repo, bus);
    await users.findById(7);
    await users.update(7, { role: 'admin' });
    assert.equal((await users.findById(7))?.role, 'admin');
    assert.deepEqual(published, [{ topic: 'webmacs.config', payload: { reason: 'users' } }]);
  });

  it('an update inside a transaction waits for changed() (called after the commit)', async () => {
    const { repo } = fakeRepo();
    const { bus, published } = fakeBus();
    const users = cachedUsersRepo(repo, bus);
    await users.findById(7);
    await users.update(7, { role: 'operator' }, trx);
    assert.equal((await users.findById(7))?.role, 'viewer');
    assert.deepEqual(published, []);
    users.changed();
    assert.equal((await users.findById(7))?.role, 'operator');
    assert.equal(published.length, 1);
  });

  it("another instance's user change drops the cache; its event, rule or experiment changes and this instance's echo do not", async () => {
    const { repo, state } = fakeRepo();
    const { bus, receive } = fakeBus();
    const users = cachedUsersRepo(repo, bus);
    await users.findById(7);
    receive({ reason: 'events' });
    receive({ reason: 'users' }, 'this-instance');
    await users.findById(7);
    assert.equal(state.reads, 1);
    receive({ reason: 'users' });
    await users.findById(7);
    assert.equal(state.reads, 2);
  });

  it('a lookup that a change overtook answers its caller but is not kept', async () => {
    const { repo, state } = fakeRepo();
    const users = cachedUsersRepo(repo, fakeBus().bus);
    state.hold = true;
    const pending = users.findById(7);
    await new Promise((resolve) => setImmediate(resolve));
    await users.update(7, { role: 'admin' });
    state.hold = false;
    state.release!();
    assert.equal((await pending)?.role, 'viewer');
    assert.equal((await users.findById(7))?.role, 'admin');
  });

  it('unknown users are not remembered, and entries expire after the TTL', async () => {
    const { repo, state } = fakeRepo([]);
    const users = cachedUsersRepo(repo, fakeBus().bus, 0);
    assert.equal(await users.findByPublicId('usr_alice'), undefined);
    state.rows.push({ ...alice });
    assert.equal((await users.findByPublicId('usr_alice'))?.username, 'alice');
    await users.findByPublicId('usr_alice');
    assert.equal(state.reads, 3);
  });

  it('close() stops listening to the bus', () => {
    const { bus, handlers } = fakeBus();
    const users = cachedUsersRepo(fakeRepo().repo, bus);
    assert.equal(handlers.length, 1);
    users.close();
    assert.equal(handlers.length, 0);
  });
});
