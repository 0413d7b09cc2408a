import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

const KNOWN_CODES = new Set([
  'unhandled_exception', 'no_code_given', 'validation_error', 'invalid_cursor', 'rate_limited', 'invalid_api_key',
  'insufficient_read_access', 'insufficient_write_access', 'tag_group_not_found', 'tag_group_conflict', 'tag_not_found',
  'pv_not_found', 'pv_already_exists', 'invalid_tag_filters', 'live_values_fetch_failed', 'snapshot_not_found',
  'job_not_found', 'api_key_not_found', 'api_key_already_exists', 'api_key_conflict', 'api_key_self_deactivation',
  'health_check_failed', 'watchdog_stats_failed', 'watchdog_check_failed', 'disconnected_pvs_fetch_failed',
  'stale_pvs_fetch_failed', 'circuit_action_failed',
]);

function assertErrorBody(body: Record<string, unknown>, code: string): void {
  assert.equal(body.code, code);
  assert.ok(KNOWN_CODES.has(body.code as string));
  assert.equal(typeof body.detail, 'string');
  assert.deepEqual(Object.keys(body).sort(), code === 'validation_error' ? ['code', 'detail', 'errors'] : ['code', 'detail']);
}

describe('squirrel contract, auth and errors (spec §12 items 1–9)', () => {
  let sq: SquirrelHarness;
  before(async () => {
    sq = await startSquirrel();
  });
  after(() => sq.dispose());

  it('§12.2 no key, an unknown key and a deactivated key get 401 invalid_api_key with WWW-Authenticate', async () => {
    const token = await sq.keyWith(true, true);
    const keyId = (await sq.call('GET', '/v1/api-keys')).json().find((k: { app_name: string }) => k.app_name === 'client-1').id;
    await sq.call('DELETE', `/v1/api-keys/${keyId}`);
    for (const key of [null, 'sq_unknown', token]) {
      const res = await sq.call('GET', '/v1/pvs', undefined, key);
      assert.equal(res.statusCode, 401);
      assertErrorBody(res.json(), 'invalid_api_key');
      assert.equal(res.headers['www-authenticate'], 'ApiKey header="X-API-Key"');
    }
  });

  it('§12.3 a write-only key on GET gets insufficient_read_access; a read-only key on POST/PUT/DELETE gets insufficient_write_access', async () => {
    const writeOnly = await sq.keyWith(false, true);
    const readOnly = await sq.keyWith(true, false);
    for (const url of ['/v1/pvs', '/v1/tags', '/v1/pvs/devices']) {
      const res = await sq.call('GET', url, undefined, writeOnly);
      assert.equal(res.statusCode, 401, url);
      assertErrorBody(res.json(), 'insufficient_read_access');
    }
    for (const [method, url] of [['POST', '/v1/pvs'], ['PUT', '/v1/tags/x'], ['DELETE', '/v1/pvs/x']] as const) {
      const res = await sq.call(method, url, {}, readOnly);
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assertErrorBody(res.json(), 'insufficient_write_access');
    }
  });

  it('§12.4 GET /v1/api-keys and /count need write access even for reads', async () => {
    const readOnly = await sq.keyWith(true, false);
    for (const url of ['/v1/api-keys', '/v1/api-keys/count']) {
      const res = await sq.call('GET', url, undefined, readOnly);
      assert.equal(res.statusCode, 401);
      assertErrorBody(res.json(), 'insufficient_write_access');
    }
  });

  it('§12.5 an unknown path gives 404 no_code_given; a wrong method gives 405 with Allow', async () => {
    const missing = await sq.call('GET', '/v1/pvs/x/y');
    assert.equal(missing.statusCode, 404);
    assertErrorBody(missing.json(), 'no_code_given');
    const wrong = await sq.call('PATCH', '/v1/pvs/0195f2c4-7d1e-7a3b-9c41-2f6d0e8a1b01', {});
    assert.equal(wrong.statusCode, 405);
    assertErrorBody(wrong.json(), 'no_code_given');
    assert.equal(wrong.headers.allow, 'DELETE, GET, HEAD, PUT');
  });

  it('§12.6 malformed JSON is 422, a 33 MiB body 413, text/plain 415, and none of them writes', async () => {
    const inject = (payload: string, type: string) =>
      sq.test.server.fastify.inject({ method: 'POST', url: '/v1/pvs', headers: { 'x-api-key': sq.adminKey, 'content-type': type }, payload });
    const malformed = await inject('{"setpoint_address": ', 'application/json');
    assert.equal(malformed.statusCode, 422);
    assertErrorBody(malformed.json(), 'validation_error');
    const huge = await inject(`{"description":"${'x'.repeat(33 * 1024 * 1024)}"}`, 'application/json');
    assert.equal(huge.statusCode, 413);
    assertErrorBody(huge.json(), 'no_code_given');
    const text = await inject('setpoint_address=A', 'text/plain');
    assert.equal(text.statusCode, 415);
    assertErrorBody(text.json(), 'no_code_given');
    assert.deepEqual((await sq.call('GET', '/v1/pvs')).json(), []);
  });

  it('§12.7 a non-UUID id on each {id} route gives the resource 404 slug', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/v1/pvs/not-a-uuid', 'pv_not_found'],
      ['GET', '/v1/tags/not-a-uuid', 'tag_group_not_found'],
      ['DELETE', '/v1/api-keys/not-a-uuid', 'api_key_not_found'],
    ];
    const group = (await sq.call('POST', '/v1/tags', { name: 'Area-7' })).json();
    cases.push(['PUT', `/v1/tags/${group.id}/tags/not-a-uuid`, 'tag_not_found']);
    for (const [method, url, code] of cases) {
      const res = await sq.call(method as 'GET', url, method === 'PUT' ? {} : undefined);
      assert.equal(res.statusCode, 404, url);
      assertErrorBody(res.json(), code);
    }
  });

  it('§12.8 auth runs before validation: an invalid body without a key is 401, not 422', async () => {
    const res = await sq.call('POST', '/v1/pvs', { abs_tolerance: 'x' }, null);
    assert.equal(res.statusCode, 401);
    assertErrorBody(res.json(), 'invalid_api_key');
  });

  it('§12.9 creations answer 200, deleting a PV or tag group returns true, the key count is a bare integer', async () => {
    const pv = await sq.call('POST', '/v1/pvs', { setpoint_address: 'C9:SP' });
    assert.equal(pv.statusCode, 200);
    const deleted = await sq.call('DELETE', `/v1/pvs/${pv.json().id}`);
    assert.equal(deleted.statusCode, 200);
    assert.equal(deleted.body, 'true');
    const group = await sq.call('POST', '/v1/tags', { name: 'To delete' });
    assert.equal(group.statusCode, 200);
    assert.equal((await sq.call('DELETE', `/v1/tags/${group.json().id}`)).body, 'true');
    const count = await sq.call('GET', '/v1/api-keys/count');
    assert.match(count.body, /^\d+$/);
    assert.match(String(count.headers['content-type']), /application\/json/);
  });

  it('§12.1 a validation failure lists errors as {in, field, message}', async () => {
    const res = await sq.call('POST', '/v1/tags', { description: 'no name' });
    assert.equal(res.statusCode, 422);
    assertErrorBody(res.json(), 'validation_error');
    assert.deepEqual(res.json().errors, [{ in: 'body', field: 'name', message: 'is required' }]);
    assert.equal(res.json().detail, 'body.name: is required');
  });
});
