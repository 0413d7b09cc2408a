import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { ISO_Z, PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs API tokens (spec §3.3, §2.4)', () => {
  let wm: WebmacsHarness;
  const db = () => wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
  before(async () => {
    wm = await startWebmacs();
  });
  after(() => wm.dispose());

  it('§12.18 POST /tokens → 201 with a wm_ + 64 char token shown once; the list never shows it; the DB holds only its SHA-256', async () => {
    const user = await wm.userWithRole('viewer');
    const res = await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: 'CI Pipeline', expires_at: '2999-12-31T23:59:59Z' } });
    assert.equal(res.statusCode, 201);
    const created = res.json();
    assert.deepEqual(Object.keys(created).sort(), ['created_at', 'expires_at', 'name', 'public_id', 'token']);
    assert.match(created.token, /^wm_[A-Za-z0-9_-]{64}$/);
    assert.match(created.public_id, PUBLIC_ID('tok'));
    assert.equal(created.expires_at, '2999-12-31T23:59:59Z');
    assert.match(created.created_at, ISO_Z);

    const list = (await wm.request({ method: 'GET', url: '/api/v1/tokens', token: user.token })).json();
    assert.equal(list.total, 1);
    assert.deepEqual(list.data[0], {
      public_id: created.public_id,
      name: 'CI Pipeline',
      prefix: created.token.slice(0, 7),
      last_used_at: null,
      expires_at: '2999-12-31T23:59:59Z',
      created_at: created.created_at,
      user_public_id: user.publicId,
    });
    assert.ok(!JSON.stringify(list).includes(created.token));
    const row = await db().selectFrom('api_tokens').selectAll().where('public_id', '=', created.public_id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, createHash('sha256').update(created.token).digest('hex'));
    assert.ok(!Object.values(row).includes(created.token));
  });

  it('§12.19 an API token authenticates with the owner\'s role and records last_used_at', async () => {
    const operator = await wm.userWithRole('operator');
    const { token } = (await wm.request({ method: 'POST', url: '/api/v1/tokens', token: operator.token, payload: { name: 'ctl' } })).json();
    const me = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().public_id, operator.publicId);
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'via token' } })).statusCode, 201);
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/users', token })).statusCode, 403);
    const listed = (await wm.request({ method: 'GET', url: '/api/v1/tokens', token })).json().data[0];
    assert.match(listed.last_used_at, ISO_Z);
  });

  it('§12.19 an expired API token → 401 API token has expired.; an unknown one → 401 Invalid API token.', async () => {
    const user = await wm.userWithRole('viewer');
    const { token, public_id: publicId } = (await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: 'short' } })).json();
    await db().updateTable('api_tokens').set({ expires_at: 1 }).where('public_id', '=', publicId).execute();
    const expired = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token });
    assert.equal(expired.statusCode, 401);
    assert.deepEqual(expired.json(), { detail: 'API token has expired.' });
    const unknown = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: `wm_${'A'.repeat(64)}` });
    assert.equal(unknown.statusCode, 401);
    assert.deepEqual(unknown.json(), { detail: 'Invalid API token.' });
    assert.equal(unknown.headers['www-authenticate'], 'Bearer');
  });

  it('§12.20 a viewer lists only own tokens and cannot delete another\'s (403); an admin lists and deletes all', async () => {
    const alice = await wm.userWithRole('viewer');
    const bob = await wm.userWithRole('viewer');
    const bobs = (await wm.request({ method: 'POST', url: '/api/v1/tokens', token: bob.token, payload: { name: 'bob-token' } })).json();
    await wm.request({ method: 'POST', url: '/api/v1/tokens', token: alice.token, payload: { name: 'alice-token' } });
    const aliceList = (await wm.request({ method: 'GET', url: '/api/v1/tokens', token: alice.token })).json();
    assert.deepEqual(aliceList.data.map((t: { name: string }) => t.name), ['alice-token']);
    const forbidden = await wm.request({ method: 'DELETE', url: `/api/v1/tokens/${bobs.public_id}`, token: alice.token });
    assert.equal(forbidden.statusCode, 403);
    assert.deepEqual(forbidden.json(), { detail: "Cannot delete another user's token." });

    const admin = await wm.adminToken();
    const all = (await wm.request({ method: 'GET', url: '/api/v1/tokens?page_size=100', token: admin })).json();
    assert.ok(all.data.some((t: { name: string }) => t.name === 'bob-token'));
    assert.ok(all.data.some((t: { name: string }) => t.name === 'alice-token'));
    const deleted = await wm.request({ method: 'DELETE', url: `/api/v1/tokens/${bobs.public_id}`, token: admin });
    assert.equal(deleted.statusCode, 200);
    assert.deepEqual(deleted.json(), { status: 'success', message: 'API token deleted.' });
    const gone = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: bobs.token });
    assert.deepEqual(gone.json(), { detail: 'Invalid API token.' });
    const again = await wm.request({ method: 'DELETE', url: `/api/v1/tokens/${bobs.public_id}`, token: admin });
    assert.equal(again.statusCode, 404);
    assert.deepEqual(again.json(), { detail: 'API token not found.' });
  });

  it('tokens list newest first', async () => {
    const user = await wm.userWithRole('viewer');
    for (const name of ['first', 'second', 'third']) await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name } });
    const list = (await wm.request({ method: 'GET', url: '/api/v1/tokens', token: user.token })).json();
    assert.deepEqual(list.data.map((t: { name: string }) => t.name), ['third', 'second', 'first']);
  });

  it('a past or unparseable expires_at and an empty name → 422; no auth → 401', async () => {
    const user = await wm.userWithRole('viewer');
    const past = await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: 'x', expires_at: '2001-01-01T00:00:00Z' } });
    assert.equal(past.statusCode, 422);
    assert.deepEqual(past.json().detail[0].loc, ['body', 'expires_at']);
    assert.equal(past.json().detail[0].type, 'value_error');
    const junk = await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: 'x', expires_at: 'tomorrow' } });
    assert.equal(junk.statusCode, 422);
    assert.equal(junk.json().detail[0].type, 'datetime_parsing');
    const empty = await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: '' } });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().detail[0].loc, ['body', 'name']);
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x' } })).statusCode, 401);
  });
});
