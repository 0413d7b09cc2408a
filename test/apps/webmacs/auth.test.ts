import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signJwt } from '../../../src/core/secrets/index.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ISO_Z, startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs auth: login, logout, me, own password (spec §3.1, §2.4)', () => {
  let wm: WebmacsHarness;
  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_LOGIN_MAX_FAILURES: '3', WEBMACS_SECRET_KEY: 'k'.repeat(40) } });
  });
  after(() => wm.dispose());

  it('§12.12 login returns access_token, public_id, username, token_type and expires_in', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.message, 'Successfully logged in.');
    assert.match(body.access_token, /^eyJ/);
    assert.match(body.public_id, /^usr_[0-9a-z]{24}$/);
    assert.equal(body.username, 'admin');
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 86400);
  });

  it('§12.12 login matches the email case-insensitively (D38)', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ADMIN@WebMACS.io', password: ADMIN_PASSWORD } });
    assert.equal(res.statusCode, 200);
  });

  it('§12.12 a wrong password and an unknown email both answer 401 Invalid email or password.', async () => {
    const victim = await wm.userWithRole('viewer');
    for (const payload of [{ email: victim.email, password: 'nope-nope' }, { email: 'ghost@lab.test', password: 'whatever' }]) {
      const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { detail: 'Invalid email or password.' });
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
  });

  it('§12.12 a malformed email is a 422 value_error at ["body","email"]', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'not-an-email', password: 'x' } });
    assert.equal(res.statusCode, 422);
    const [item] = res.json().detail;
    assert.equal(item.type, 'value_error');
    assert.deepEqual(item.loc, ['body', 'email']);
    assert.equal(item.input, 'not-an-email');
  });

  it('§12.12 an empty password is a 422 string_too_short', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: ADMIN_EMAIL, password: '' } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().detail, [
      { type: 'string_too_short', loc: ['body', 'password'], msg: 'String should have at least 1 character', input: '', ctx: { min_length: 1 } },
    ]);
  });

  it('§12.13 login writes the LogEntry "User \'<u>\' logged in."', async () => {
    const user = await wm.userWithRole('operator', 'logwriter');
    const res = await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100', token: user.token });
    const entry = res.json().data.find((e: { content: string }) => e.content === "User 'logwriter' logged in.");
    assert.ok(entry, 'login log entry present');
    assert.equal(entry.logging_type, 'info');
    assert.equal(entry.status_type, 'unread');
    assert.equal(entry.user_public_id, user.publicId);
  });

  it('§12.14 /auth/me returns role, admin, sso_provider and equal created_on / registered_on', async () => {
    const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: await wm.adminToken() });
    assert.equal(res.statusCode, 200);
    const me = res.json();
    assert.deepEqual(Object.keys(me).sort(), ['admin', 'created_on', 'email', 'public_id', 'registered_on', 'role', 'sso_provider', 'username']);
    assert.equal(me.role, 'admin');
    assert.equal(me.admin, true);
    assert.equal(me.sso_provider, null);
    assert.equal(me.email, ADMIN_EMAIL);
    assert.match(me.created_on, ISO_Z);
    assert.equal(me.created_on, me.registered_on);
  });

  it('§12.15 no Authorization header → 401 Authentication required. with WWW-Authenticate: Bearer', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }]) {
      const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me', headers });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { detail: 'Authentication required.' });
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
  });

  it('§12.15 a garbage, foreign-signed or expired JWT → 401 Invalid or expired token.', async () => {
    const me = (await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: await wm.adminToken() })).json();
    const foreign = await signJwt({ sub: me.public_id, pwc: 0 }, { secret: 'x'.repeat(40), expiresIn: 60, jti: 'a' });
    const expired = await signJwt({ sub: me.public_id, pwc: 0 }, { secret: 'k'.repeat(40), expiresIn: -10, jti: 'b' });
    for (const token of ['garbage', foreign, expired]) {
      const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { detail: 'Invalid or expired token.' });
    }
  });

  it('§12.16 after logout the same JWT → 401 Token has been revoked.; a second JWT still works', async () => {
    const user = await wm.userWithRole('viewer');
    const second = await wm.login(user.email, user.password);
    const out = await wm.request({ method: 'POST', url: '/api/v1/auth/logout', token: user.token });
    assert.equal(out.statusCode, 200);
    assert.deepEqual(out.json(), { status: 'success', message: 'Successfully logged out.' });
    const revoked = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: user.token });
    assert.equal(revoked.statusCode, 401);
    assert.deepEqual(revoked.json(), { detail: 'Token has been revoked.' });
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: second })).statusCode, 200);
  });

  it('logout without credentials → 401; logout with an API token is a no-op 200 and the token keeps working', async () => {
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode, 401);
    const user = await wm.userWithRole('viewer');
    const created = await wm.request({ method: 'POST', url: '/api/v1/tokens', token: user.token, payload: { name: 'ci' } });
    const apiToken = created.json().token;
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/auth/logout', token: apiToken })).statusCode, 200);
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: apiToken })).statusCode, 200);
  });

  it('§12.17 a deleted user\'s JWT → 401 User not found.', async () => {
    const user = await wm.userWithRole('operator');
    const del = await wm.request({ method: 'DELETE', url: `/api/v1/users/${user.publicId}`, token: await wm.adminToken() });
    assert.equal(del.statusCode, 200);
    const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: user.token });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { detail: 'User not found.' });
  });

  it('§12.21 PUT /auth/me/password returns a new working token and invalidates JWTs issued earlier', async () => {
    const user = await wm.userWithRole('viewer');
    const res = await wm.request({
      method: 'PUT',
      url: '/api/v1/auth/me/password',
      token: user.token,
      payload: { current_password: user.password, new_password: 'brand-new-password' },
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.message, 'Password successfully changed.');
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: body.access_token })).statusCode, 200);
    const old = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: user.token });
    assert.equal(old.statusCode, 401);
    assert.deepEqual(old.json(), { detail: 'Invalid or expired token.' });
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } })).statusCode, 401);
    await wm.login(user.email, 'brand-new-password');
  });

  it('PUT /auth/me/password with a wrong current password → 400; a 7-char new password → 422', async () => {
    const user = await wm.userWithRole('viewer');
    const wrong = await wm.request({
      method: 'PUT',
      url: '/api/v1/auth/me/password',
      token: user.token,
      payload: { current_password: 'not-it', new_password: 'long-enough-pw' },
    });
    assert.equal(wrong.statusCode, 400);
    assert.deepEqual(wrong.json(), { detail: 'Current password is incorrect.' });
    const short = await wm.request({
      method: 'PUT',
      url: '/api/v1/auth/me/password',
      token: user.token,
      payload: { current_password: user.password, new_password: 'seven77' },
    });
    assert.equal(short.statusCode, 422);
    assert.equal(short.json().detail[0].type, 'string_too_short');
    assert.deepEqual(short.json().detail[0].loc, ['body', 'new_password']);
  });

  it('§12.22 after max failures for one email the next attempt → 429 even with the right password; other emails unaffected', async () => {
    const victim = await wm.userWithRole('viewer');
    const bystander = await wm.userWithRole('viewer');
    for (let i = 0; i < 3; i++) {
      const res = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email, password: 'wrong-password' } });
      assert.equal(res.statusCode, 401);
    }
    const locked = await wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email.toUpperCase(), password: victim.password } });
    assert.equal(locked.statusCode, 429);
    assert.deepEqual(locked.json(), { detail: 'Too many failed login attempts. Try again later.' });
    assert.ok(Number(locked.headers['retry-after']) > 0);
    await wm.login(bystander.email, bystander.password);
  });
});
