import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs user cache: every request sees the current user (spec §2.4, §4.9)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  before(async () => {
    wm = await startWebmacs();
    admin = await wm.adminToken();
  });
  after(() => wm.dispose());

  const listUsers = (token: string) => wm.request({ method: 'GET', url: '/api/v1/users', token });

  it("a role change applies to the user's very next request", async () => {
    const viewer = await wm.userWithRole('viewer');
    assert.equal((await listUsers(viewer.token)).statusCode, 403);
    const promote = await wm.request({ method: 'PUT', url: `/api/v1/users/${viewer.publicId}`, token: admin, payload: { role: 'admin' } });
    assert.equal(promote.statusCode, 200);
    assert.equal((await listUsers(viewer.token)).statusCode, 200);
    const me = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: viewer.token });
    assert.deepEqual([me.json().role, me.json().admin], ['admin', true]);
  });

  it("a deleted user's JWT is refused on the next request", async () => {
    const operator = await wm.userWithRole('operator');
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: operator.token })).statusCode, 200);
    assert.equal((await wm.request({ method: 'DELETE', url: `/api/v1/users/${operator.publicId}`, token: admin })).statusCode, 200);
    const after = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: operator.token });
    assert.deepEqual([after.statusCode, after.json()], [401, { detail: 'User not found.' }]);
  });

  it('a password change made through the admin API ends the JWTs issued before it at once', async () => {
    const viewer = await wm.userWithRole('viewer');
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: viewer.token })).statusCode, 200);
    const reset = await wm.request({ method: 'PUT', url: `/api/v1/users/${viewer.publicId}`, token: admin, payload: { password: 'reset-by-admin' } });
    assert.equal(reset.statusCode, 200);
    const stale = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: viewer.token });
    assert.deepEqual([stale.statusCode, stale.json()], [401, { detail: 'Invalid or expired token.' }]);
  });

  it('another instance sharing the database sees a role change (at once over Redis, else within the cache lifetime)', async () => {
    const other = await startWebmacs({ reuse: { dataDir: wm.dataDir, schemas: wm.schemas } });
    try {
      const viewer = await wm.userWithRole('viewer');
      assert.equal((await other.request({ method: 'GET', url: '/api/v1/users', token: viewer.token })).statusCode, 403);
      await wm.request({ method: 'PUT', url: `/api/v1/users/${viewer.publicId}`, token: admin, payload: { role: 'admin' } });
      const deadline = Date.now() + 8_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await other.request({ method: 'GET', url: '/api/v1/users', token: viewer.token })).statusCode;
        if (status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 200);
    } finally {
      await other.dispose({ keep: true });
    }
  });
});
