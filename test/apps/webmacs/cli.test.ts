import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { buildRegistry } from '../../../src/cli/commands/index.ts';
import { testRedisUrl } from '../../helpers/db.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const registry = await buildRegistry();
  const code = await registry.run(['webmacs', ...argv], { stdout, stderr, stdin: new PassThrough(), env }, new AbortController().signal);
  return { code, stdout: out, stderr: err };
}

/** The password a command printed for its user (the admin banner's line is indented). */
const printedPassword = (stdout: string) => stdout.match(/^password: (\S+)$/m)?.[1];

describe('burrow webmacs CLI against a fresh data dir (spec §6, §12 item 125)', () => {
  // The CLI opens the database its environment names, as `burrow serve` does: a SQLite directory here
  // on both passes, since the CLI takes no per-test Postgres schema.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-webmacs-cli-'));
  const env = { BURROW_DATA_DIR: dataDir, DATABASE_URL: '', WEBMACS_ARGON2_MEMORY_KIB: '1024', WEBMACS_ARGON2_TIME_COST: '1' };
  let operatorPassword: string;
  let firstRun: string;
  let apiToken: string;
  let server: WebmacsHarness | undefined;

  const serve = async () => {
    await server?.dispose({ keep: true });
    server = await startWebmacs({ env: { DATABASE_URL: '', WEBMACS_REQUIRE_PLUGIN_LINK: 'false' }, reuse: { dataDir, schemas: new Map() } });
    return server;
  };
  const login = (wm: WebmacsHarness, email: string, password: string) =>
    wm.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  before(async () => {
    const created = await runCli(['create-user', '--email', 'op@lab.test', '--username', 'op', '--role', 'operator'], env);
    assert.equal(created.code, 0, created.stderr);
    operatorPassword = printedPassword(created.stdout)!;
    firstRun = created.stdout;
  });
  after(async () => {
    await server?.dispose({ keep: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('§12.125 create-user on a fresh data dir seeds the admin (password printed once) and prints the new user\'s random password', async () => {
    const again = await runCli(['create-user', '--email', 'viewer@lab.test', '--username', 'viewer', '--role', 'viewer', '--password', 'viewer-password'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^User 'viewer' created \(usr_[0-9a-z]{24}, viewer\)\.\n$/);
    assert.match(operatorPassword, /^[A-Za-z0-9]{20}$/);
    assert.match(firstRun, /WebMACS admin account created\. This password is shown only once:\n {2}email: {4}admin@webmacs\.io\n/);
    const adminPassword = firstRun.match(/^ {2}password: (\S+)$/m)?.[1];
    assert.match(String(adminPassword), /^[A-Za-z0-9]{20}$/);

    const wm = await serve();
    const res = await login(wm, 'op@lab.test', operatorPassword);
    assert.equal(res.statusCode, 200, res.body);
    const me = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: res.json().access_token });
    assert.deepEqual([me.json().username, me.json().role], ['op', 'operator']);
    assert.equal((await login(wm, 'viewer@lab.test', 'viewer-password')).statusCode, 200);
    assert.equal((await login(wm, 'admin@webmacs.io', adminPassword!)).statusCode, 200);
  });

  it('create-user refuses a taken email (exit 1), a short password and a missing option (exit 2)', async () => {
    const taken = await runCli(['create-user', '--email', 'OP@lab.test', '--username', 'other', '--role', 'viewer'], env);
    assert.deepEqual([taken.code, taken.stderr], [1, 'burrow webmacs create-user: User already exists.\n']);
    const short = await runCli(['create-user', '--email', 'x@lab.test', '--username', 'xx', '--role', 'viewer', '--password', 'short'], env);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /^burrow webmacs create-user: password must NOT have fewer than 8 characters\n/);
    const missing = await runCli(['create-user', '--email', 'x@lab.test', '--role', 'viewer'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^burrow webmacs create-user: --username is required\n/);
  });

  it('§12.125 create-token prints a wm_ token once that authenticates as its owner', async () => {
    const created = await runCli(['create-token', '--email', 'op@lab.test', '--name', 'ci'], env);
    assert.equal(created.code, 0, created.stderr);
    apiToken = created.stdout.trim().split('\n').at(-1)!;
    assert.match(apiToken, /^wm_[A-Za-z0-9_-]{64}$/);
    const wm = await serve();
    const me = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: apiToken });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().username, 'op');

    const past = await runCli(['create-token', '--email', 'op@lab.test', '--name', 'old', '--expires-at', '2000-01-01T00:00:00Z'], env);
    assert.equal(past.code, 2);
    assert.match(past.stderr, /^burrow webmacs create-token: expires_at: Value error, expires_at must be in the future\n/);
    const nobody = await runCli(['create-token', '--email', 'nobody@lab.test', '--name', 'x'], env);
    assert.deepEqual([nobody.code, nobody.stderr], [1, "burrow webmacs create-token: no user with email 'nobody@lab.test'\n"]);
  });

  it('§12.125 reset-password prints a new password; the old one and earlier JWTs stop working', async () => {
    let wm = await serve();
    const oldJwt = (await login(wm, 'op@lab.test', operatorPassword)).json().access_token as string;
    await wm.dispose({ keep: true });
    server = undefined;

    const reset = await runCli(['reset-password', '--email', 'op@lab.test'], env);
    assert.equal(reset.code, 0, reset.stderr);
    const newPassword = printedPassword(reset.stdout)!;
    assert.notEqual(newPassword, operatorPassword);

    wm = await serve();
    assert.equal((await login(wm, 'op@lab.test', operatorPassword)).statusCode, 401);
    assert.equal((await login(wm, 'op@lab.test', newPassword)).statusCode, 200);
    const stale = await wm.request({ method: 'GET', url: '/api/v1/auth/me', token: oldJwt });
    assert.deepEqual([stale.statusCode, stale.json()], [401, { detail: 'Invalid or expired token.' }]);
    operatorPassword = newPassword;
  });

  it('§12.125 seed-demo creates the Simulated Device instance once; on a populated database it exits 1', async () => {
    await server?.dispose({ keep: true });
    server = undefined;
    const seeded = await runCli(['seed-demo'], env);
    assert.deepEqual([seeded.code, seeded.stdout], [0, "Plugin instance 'Simulated Device' created.\n"]);
    const again = await runCli(['seed-demo'], env);
    assert.deepEqual([again.code, again.stderr], [1, 'burrow webmacs seed-demo: nothing seeded: the database already has plugin instances or events\n']);

    const wm = await serve();
    const list = await wm.request({ method: 'GET', url: '/api/v1/plugins', token: apiToken });
    assert.deepEqual(
      list.json().data.map((p: { instance_name: string; plugin_id: string; demo_mode: boolean }) => [p.instance_name, p.plugin_id, p.demo_mode]),
      [['Simulated Device', 'simulated', true]],
    );
  });

  it('purge-datapoints --before deletes exactly the older datapoints', async () => {
    let wm = await serve();
    const event = await wm.request({ method: 'POST', url: '/api/v1/events', token: apiToken, payload: { name: 'Purged', type: 'sensor', unit: 'u', min_value: 0, max_value: 10 } });
    const eventId = event.json().public_id as string;
    const datapoints = ['2020-01-01T00:00:00Z', '2021-05-31T23:59:59.999999Z', '2021-06-01T00:00:00Z'].map((timestamp, i) => ({ value: i, event_public_id: eventId, timestamp }));
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/datapoints/batch', token: apiToken, payload: { datapoints } })).statusCode, 201);
    await wm.dispose({ keep: true });
    server = undefined;

    const bad = await runCli(['purge-datapoints', '--before', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^burrow webmacs purge-datapoints: --before: not an ISO-8601 datetime: "yesterday"\n/);
    const purged = await runCli(['purge-datapoints', '--before', '2021-06-01T00:00:00Z'], env);
    assert.deepEqual([purged.code, purged.stdout], [0, '2 datapoints older than 2021-06-01T00:00:00Z deleted.\n']);

    wm = await serve();
    const left = (await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${eventId}`, token: apiToken })).json();
    assert.deepEqual([left.total, left.data.map((p: { timestamp: string }) => p.timestamp)], [1, ['2021-06-01T00:00:00Z']]);
  });

  it('purge-datapoints makes a running server sharing REDIS_URL drop its cached series (spec §4.2)', { skip: !testRedisUrl && 'needs REDIS_URL (the Postgres + Redis pass)' }, async () => {
    const wm = await serve();
    const event = await wm.request({ method: 'POST', url: '/api/v1/events', token: apiToken, payload: { name: 'Cached', type: 'sensor', unit: 'u', min_value: 0, max_value: 10 } });
    const eventId = event.json().public_id as string;
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const datapoints = [10, 9, 1].map((minutes, i) => ({ value: i, event_public_id: eventId, timestamp: minutesAgo(minutes) }));
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/datapoints/batch', token: apiToken, payload: { datapoints } })).statusCode, 201);
    const values = async () => {
      const res = await wm.request({ method: 'POST', url: '/api/v1/datapoints/series', token: apiToken, payload: { event_public_ids: [eventId], minutes: 60 } });
      return res.json()[eventId].map((p: { value: number }) => p.value) as number[];
    };
    assert.deepEqual(await values(), [0, 1, 2]); // now held by the server's series cache

    // the test server's Redis namespace, so that the CLI's bus reaches it
    const shared = { ...env, REDIS_URL: testRedisUrl, BURROW_REDIS_PREFIX: `burrow-test-${path.basename(dataDir)}` };
    const purged = await runCli(['purge-datapoints', '--before', minutesAgo(5)], shared);
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(purged.stdout, /^[1-9]\d* datapoints older than /);
    const deadline = Date.now() + 5_000;
    while ((await values()).length > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await values(), [2]);
  });
});
