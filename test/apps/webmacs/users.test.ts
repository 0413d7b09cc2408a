import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { ISO_Z, PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs users: admin-only CRUD (spec §3.4)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  const db = () => wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
  before(async () => {
    wm = await startWebmacs();
    admin = await wm.adminToken();
  });
  after(() => wm.dispose());

  it('creates a viewer by default → 201 Created with a usr_ public_id; GET returns the User shape', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/users', token: admin, payload: { email: 'new@lab.test', username: 'newbie', password: 'password8' } });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.message, 'User successfully created.');
    assert.match(body.public_id, PUBLIC_ID('usr'));
    const user = (await wm.request({ method: 'GET', url: `/api/v1/users/${body.public_id}`, token: admin })).json();
    assert.equal(user.role, 'viewer');
    assert.equal(user.admin, false);
    assert.equal(user.username, 'newbie');
    assert.match(user.registered_on, ISO_Z);
  });

  it('§12.23 users CRUD is admin-only, GET /users/{id} included: viewer and operator → 403 Admin privileges required.', async () => {
    const target = await wm.userWithRole('viewer');
    for (const role of ['viewer', 'operator'] as const) {
      const { token } = await wm.userWithRole(role);
      const attempts = [
        { method: 'GET' as const, url: '/api/v1/users' },
        { method: 'GET' as const, url: `/api/v1/users/${target.publicId}` },
        { method: 'POST' as const, url: '/api/v1/users', payload: { email: 'x@lab.test', username: 'xx', password: 'password8' } },
        { method: 'PUT' as const, url: `/api/v1/users/${target.publicId}`, payload: { role: 'admin' } },
        { method: 'DELETE' as const, url: `/api/v1/users/${target.publicId}` },
      ];
      for (const attempt of attempts) {
        const res = await wm.request({ ...attempt, token });
        assert.equal(res.statusCode, 403, `${role} ${attempt.method} ${attempt.url}`);
        assert.deepEqual(res.json(), { detail: 'Admin privileges required.' });
      }
    }
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/users' })).statusCode, 401);
  });

  it('§12.24 duplicate email (any case) or username on create or update → 409 User already exists.', async () => {
    const a = await wm.userWithRole('viewer', 'dupa');
    await wm.userWithRole('viewer', 'dupb');
    const attempts = [
      { method: 'POST' as const, url: '/api/v1/users', payload: { email: 'DUPA@lab.test', username: 'other1', password: 'password8' } },
      { method: 'POST' as const, url: '/api/v1/users', payload: { email: 'fresh@lab.test', username: 'dupa', password: 'password8' } },
      { method: 'PUT' as const, url: `/api/v1/users/${a.publicId}`, payload: { email: 'dupb@lab.test' } },
      { method: 'PUT' as const, url: `/api/v1/users/${a.publicId}`, payload: { username: 'dupb' } },
    ];
    for (const attempt of attempts) {
      const res = await wm.request({ ...attempt, token: admin });
      assert.equal(res.statusCode, 409, JSON.stringify(attempt));
      assert.deepEqual(res.json(), { detail: 'User already exists.' });
    }
  });

  it('§12.24 a 7-character password or a 1-character username → 422 string_too_short', async () => {
    const short = await wm.request({ method: 'POST', url: '/api/v1/users', token: admin, payload: { email: 's@lab.test', username: 'ok', password: 'seven77' } });
    assert.equal(short.statusCode, 422);
    assert.deepEqual(short.json().detail.map((d: { type: string; loc: unknown }) => [d.type, d.loc]), [['string_too_short', ['body', 'password']]]);
    const name = await wm.request({ method: 'POST', url: '/api/v1/users', token: admin, payload: { email: 's@lab.test', username: 'x', password: 'password8' } });
    assert.equal(name.statusCode, 422);
    assert.deepEqual(name.json().detail[0].loc, ['body', 'username']);
    const role = await wm.request({ method: 'POST', url: '/api/v1/users', token: admin, payload: { email: 's@lab.test', username: 'xy', password: 'password8', role: 'root' } });
    assert.equal(role.statusCode, 422);
    assert.deepEqual(role.json().detail[0], {
      type: 'enum',
      loc: ['body', 'role'],
      msg: "Input should be 'admin', 'operator' or 'viewer'",
      input: 'root',
      ctx: { expected: "'admin', 'operator' or 'viewer'" },
    });
  });

  it('§12.25 the admin cannot delete their own account → 400', async () => {
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: admin })).json();
    const res = await wm.request({ method: 'DELETE', url: `/api/v1/users/${me.public_id}`, token: admin });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { detail: 'You cannot delete your own account.' });
  });

  // Deleting the last admin cannot be asked for over the API: only an admin deletes, and not themselves.
  it('§12.25 demoting the last admin → 409 Cannot remove the last admin.', async () => {
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: admin })).json();
    const demote = await wm.request({ method: 'PUT', url: `/api/v1/users/${me.public_id}`, token: admin, payload: { role: 'viewer' } });
    assert.equal(demote.statusCode, 409);
    assert.deepEqual(demote.json(), { detail: 'Cannot remove the last admin.' });
    const second = await wm.userWithRole('admin');
    // With two admins one may go; the survivor is then the last one again.
    assert.equal((await wm.request({ method: 'PUT', url: `/api/v1/users/${second.publicId}`, token: admin, payload: { role: 'operator' } })).statusCode, 200);
    const again = await wm.request({ method: 'PUT', url: `/api/v1/users/${me.public_id}`, token: admin, payload: { role: 'operator' } });
    assert.equal(again.statusCode, 409);
  });

  it('§12.25 deleting a user keeps their rows, now owned by the deleting admin; their tokens and private dashboards go', async () => {
    const victim = await wm.userWithRole('operator');
    const privateDash = await wm.request({ method: 'POST', url: '/api/v1/dashboards', token: victim.token, payload: { name: 'mine' } });
    const globalDash = await wm.request({ method: 'POST', url: '/api/v1/dashboards', token: victim.token, payload: { name: 'shared', is_global: true } });
    await wm.request({ method: 'POST', url: '/api/v1/tokens', token: victim.token, payload: { name: 't' } });
    const log = await wm.request({ method: 'POST', url: '/api/v1/logging', token: victim.token, payload: { content: 'note' } });
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: admin })).json();

    assert.equal((await wm.request({ method: 'DELETE', url: `/api/v1/users/${victim.publicId}`, token: admin })).statusCode, 200);

    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/dashboards/${privateDash.json().public_id}`, token: admin })).statusCode, 404);
    const shared = await wm.request({ method: 'GET', url: `/api/v1/dashboards/${globalDash.json().public_id}`, token: admin });
    assert.equal(shared.json().user_public_id, me.public_id);
    const logs = (await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100', token: admin })).json().data;
    assert.equal(logs.find((e: { public_id: string }) => e.public_id === log.json().public_id).user_public_id, me.public_id);
    const tokens = await db().selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').select('users.public_id').execute();
    assert.ok(tokens.every((t) => t.public_id !== victim.publicId));
  });

  it('PUT with a new password sets password_changed_at (older JWTs stop working); unknown ids → 404', async () => {
    const user = await wm.userWithRole('viewer');
    const res = await wm.request({ method: 'PUT', url: `/api/v1/users/${user.publicId}`, token: admin, payload: { password: 'reset-by-admin' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'success', message: 'User successfully updated.' });
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: user.token })).statusCode, 401);
    await wm.login(user.email, 'reset-by-admin');
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const missing = await wm.request({ method, url: '/api/v1/users/usr_000000000000000000000000', token: admin, ...(method === 'PUT' ? { payload: {} } : {}) });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { detail: "User 'usr_000000000000000000000000' not found." });
    }
  });

  it('§12.26 passwords are stored as argon2id hashes', async () => {
    const rows = await db().selectFrom('users').select('password_hash').execute();
    assert.ok(rows.length > 0);
    for (const row of rows) assert.match(row.password_hash, /^\$argon2id\$/);
  });

  it('lists users as a page; page_size=101 → 422', async () => {
    const page = (await wm.request({ method: 'GET', url: '/api/v1/users?page=1&page_size=2', token: admin })).json();
    assert.equal(page.page, 1);
    assert.equal(page.page_size, 2);
    assert.equal(page.data.length, 2);
    assert.ok(page.total > 2);
    const bad = await wm.request({ method: 'GET', url: '/api/v1/users?page_size=101', token: admin });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().detail[0].loc, ['query', 'page_size']);
  });
});
