import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { buildRegistry } from '../../../src/cli/commands/index.ts';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

describe('squirrel API keys (spec §3.6, §12 items 63–67)', () => {
  let sq: SquirrelHarness;
  before(async () => {
    sq = await startSquirrel();
  });
  after(() => sq.dispose());

  it('§12.63 a created key returns its sq_ token once; list and count never show a token or hash', async () => {
    const res = await sq.call('POST', '/v1/api-keys', { app_name: '  ops-console ', read_access: true, write_access: false });
    assert.equal(res.statusCode, 200);
    const created = res.json();
    assert.match(created.token, /^sq_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.app_name, 'ops-console');
    assert.equal(created.is_active, true);
    assert.equal(created.last_used_at, null);
    const listed = (await sq.call('GET', '/v1/api-keys')).json();
    assert.equal(listed.length, 2);
    for (const key of listed) {
      assert.deepEqual(Object.keys(key).sort(), ['app_name', 'created_at', 'id', 'is_active', 'last_used_at', 'read_access', 'updated_at', 'write_access']);
    }
    assert.equal((await sq.call('GET', '/v1/pvs', undefined, created.token)).statusCode, 200);
  });

  it('§12.64 a second active key for one app is 409 api_key_already_exists; no access is 409 api_key_conflict; a missing field is 422', async () => {
    await sq.call('POST', '/v1/api-keys', { app_name: 'dup', read_access: true, write_access: true });
    const again = await sq.call('POST', '/v1/api-keys', { app_name: 'dup', read_access: true, write_access: false });
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json(), { code: 'api_key_already_exists', detail: "App name 'dup' already has an active API key" });
    const none = await sq.call('POST', '/v1/api-keys', { app_name: 'none', read_access: false, write_access: false });
    assert.deepEqual([none.statusCode, none.json()], [409, { code: 'api_key_conflict', detail: 'Cannot create an API key with no access' }]);
    const missing = await sq.call('POST', '/v1/api-keys', { app_name: 'x', read_access: true });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json().errors, [{ in: 'body', field: 'write_access', message: 'is required' }]);
  });

  it('§12.65 deactivating returns is_active false, the token then gets 401, again is 409 api_key_conflict, unknown is 404', async () => {
    const created = (await sq.call('POST', '/v1/api-keys', { app_name: 'short-lived', read_access: true, write_access: true })).json();
    const res = await sq.call('DELETE', `/v1/api-keys/${created.id}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().is_active, false);
    assert.equal((await sq.call('GET', '/v1/pvs', undefined, created.token)).statusCode, 401);
    const again = await sq.call('DELETE', `/v1/api-keys/${created.id}`);
    assert.deepEqual([again.statusCode, again.json().code], [409, 'api_key_conflict']);
    const unknown = await sq.call('DELETE', '/v1/api-keys/0195f2c4-7d1e-7a3b-9c41-2f6d0e8a1b01');
    assert.deepEqual([unknown.statusCode, unknown.json().code], [404, 'api_key_not_found']);
  });

  it('§12.66 deactivating the calling key needs force=true; the app name is free again afterwards', async () => {
    const own = (await sq.call('POST', '/v1/api-keys', { app_name: 'self', read_access: true, write_access: true })).json();
    const refused = await sq.call('DELETE', `/v1/api-keys/${own.id}`, undefined, own.token);
    assert.deepEqual([refused.statusCode, refused.json().code], [409, 'api_key_self_deactivation']);
    const forced = await sq.call('DELETE', `/v1/api-keys/${own.id}?force=true`, undefined, own.token);
    assert.equal(forced.json().is_active, false);
    const reused = await sq.call('POST', '/v1/api-keys', { app_name: 'self', read_access: true, write_access: false });
    assert.equal(reused.statusCode, 200);
  });

  it('§12.67 active_only filters both the list and the count', async () => {
    const all = (await sq.call('GET', '/v1/api-keys')).json() as { is_active: boolean }[];
    const active = (await sq.call('GET', '/v1/api-keys?active_only=true')).json() as { is_active: boolean }[];
    assert.ok(all.some((k) => !k.is_active));
    assert.deepEqual(active, all.filter((k) => k.is_active));
    assert.equal((await sq.call('GET', '/v1/api-keys/count')).json(), all.length);
    assert.equal((await sq.call('GET', '/v1/api-keys/count?active_only=true')).json(), active.length);
  });
});

async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const registry = await buildRegistry();
  const code = await registry.run(argv, { stdout, stderr, stdin: new PassThrough(), env }, new AbortController().signal);
  return { code, stdout: out, stderr: err };
}

describe('squirrel keys CLI and bootstrap key (spec §12 items 68–69)', () => {
  it('§12.68 keys create prints a working token; again exits 1; without flags exits 2', async () => {
    // The CLI opens the database named by the environment, as `burrow serve` does; that is a SQLite
    // directory here on both passes, since the CLI takes no per-test Postgres schema.
    const sq = await startSquirrel({ DATABASE_URL: '' });
    const cliEnv = { BURROW_DATA_DIR: sq.test.dataDir };
    try {
      const created = await runCli(['squirrel', 'keys', 'create', 'ops', '-r', '-w', '--json'], cliEnv);
      assert.equal(created.code, 0, created.stderr);
      const token = JSON.parse(created.stdout).token as string;
      assert.equal((await sq.call('GET', '/v1/pvs', undefined, token)).statusCode, 200);
      assert.equal((await runCli(['squirrel', 'keys', 'create', 'ops', '-r'], cliEnv)).code, 1);
      assert.equal((await runCli(['squirrel', 'keys', 'create', 'other'], cliEnv)).code, 2);
      const listed = await runCli(['squirrel', 'keys', 'list', '--json'], cliEnv);
      assert.deepEqual(JSON.parse(listed.stdout).map((k: { app_name: string }) => k.app_name), ['admin', 'ops']);
    } finally {
      await sq.dispose();
    }
  });

  it('§12.69 SQUIRREL_BOOTSTRAP_KEY works after start, stays inactive after a restart once deactivated, and a malformed one stops startup', async () => {
    const token = `sq_${'b'.repeat(43)}`;
    const first = await startSquirrel({ SQUIRREL_BOOTSTRAP_KEY: token });
    const reuse = { dataDir: first.test.dataDir, schemas: first.test.schemas };
    try {
      const keys = (await first.call('GET', '/v1/api-keys', undefined, token)).json();
      const bootstrap = keys.find((k: { app_name: string }) => k.app_name === 'bootstrap');
      assert.equal(bootstrap.read_access && bootstrap.write_access, true);
      await first.call('DELETE', `/v1/api-keys/${bootstrap.id}?force=true`, undefined, token);
      assert.equal(first.adminKey, '', 'no first-start key is printed when the bootstrap key exists');
      await first.test.dispose({ keep: true });
      const second = await startSquirrel({ SQUIRREL_BOOTSTRAP_KEY: token }, reuse);
      assert.equal((await second.call('GET', '/v1/pvs', undefined, token)).statusCode, 401);
      await second.test.dispose({ keep: true });
      await assert.rejects(startSquirrel({ SQUIRREL_BOOTSTRAP_KEY: 'not-a-key' }, reuse), /SQUIRREL_BOOTSTRAP_KEY/);
    } finally {
      await first.dispose();
    }
  });
});
