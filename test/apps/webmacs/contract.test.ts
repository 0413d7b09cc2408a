import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { startWebmacs, UUID_V4, type WebmacsHarness } from './helpers.ts';

describe('webmacs contract rules: envelope, request ids, formats (spec §2, §12 items 1–9)', () => {
  let wm: WebmacsHarness;
  let token: string;
  before(async () => {
    wm = await startWebmacs();
    token = (await wm.userWithRole('operator')).token;
  });
  after(() => wm.dispose());

  it('§12.1 every response carries a fresh UUIDv4 X-Request-ID; a client value is never trusted', async () => {
    const responses = [
      await wm.request({ method: 'GET', url: '/health', headers: { 'x-request-id': 'client-chosen-id' } }),
      await wm.request({ method: 'GET', url: '/api/v1/auth/me' }),
      await wm.request({ method: 'GET', url: '/api/v1/nope' }),
      await wm.request({ method: 'DELETE', url: '/api/v1/auth/me' }),
      await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: {} }),
    ];
    assert.deepEqual(responses.map((r) => r.statusCode), [200, 401, 404, 405, 422]);
    for (const res of responses) assert.match(String(res.headers['x-request-id']), UUID_V4);
    assert.notEqual(responses[0]!.headers['x-request-id'], 'client-chosen-id');
  });

  it('§12.2 an unknown path → 404 {"detail":"Not Found"}; DELETE /auth/me → 405 Method Not Allowed with Allow', async () => {
    for (const url of ['/api/v1/does-not-exist', '/ws/unknown', '/health/deep']) {
      const res = await wm.request({ method: 'GET', url });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { detail: 'Not Found' });
    }
    const res = await wm.request({ method: 'DELETE', url: '/api/v1/auth/me' });
    assert.equal(res.statusCode, 405);
    assert.deepEqual(res.json(), { detail: 'Method Not Allowed' });
    assert.match(String(res.headers.allow), /GET/);
  });

  it('§12.3 malformed JSON → 422 json_invalid at the character offset', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/logging', token, headers: { 'content-type': 'application/json' }, payload: '{"content": }' });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json(), { detail: [{ type: 'json_invalid', loc: ['body', 12], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }] });
  });

  it('§12.3 a JSON body without Content-Type is accepted; another content type → 422', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: Buffer.from('{"content":"no content type"}') });
    assert.equal(res.statusCode, 201, res.body);
    const text = await wm.request({ method: 'POST', url: '/api/v1/logging', token, headers: { 'content-type': 'text/plain' }, payload: 'content=x' });
    assert.equal(text.statusCode, 422);
    assert.equal(text.json().detail[0].type, 'model_attributes_type');
    assert.deepEqual(text.json().detail[0].loc, ['body']);
  });

  it('non-finite numbers (1e999) are malformed JSON', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/logging', token, headers: { 'content-type': 'application/json' }, payload: '{"content":"x","n":1e999}' });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().detail[0].type, 'json_invalid');
    assert.deepEqual(res.json().detail[0].loc, ['body', 19]);
  });

  it('§12.4 a missing field → missing at ["body",<field>]; an empty body → missing at ["body"]; page=0 → ["query","page"]', async () => {
    const missing = await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { logging_type: 'info' } });
    assert.deepEqual(missing.json().detail, [{ type: 'missing', loc: ['body', 'content'], msg: 'Field required', input: { logging_type: 'info' } }]);
    const empty = await wm.request({ method: 'POST', url: '/api/v1/logging', token, headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().detail, [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
    const page = await wm.request({ method: 'GET', url: '/api/v1/logging?page=0', token });
    assert.equal(page.statusCode, 422);
    assert.deepEqual(page.json().detail[0].loc, ['query', 'page']);
    const notInt = await wm.request({ method: 'GET', url: '/api/v1/logging?page=abc', token });
    assert.equal(notInt.json().detail[0].type, 'int_parsing');
  });

  it('§12.5 a 3 MiB JSON body → 413 Request body too large.', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'x'.repeat(3 * 1024 * 1024) } });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json(), { detail: 'Request body too large.' });
  });

  it('§12.6 unknown fields in a create body are ignored', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'extra', colour: 'blue' } });
    assert.equal(res.statusCode, 201);
  });

  it('§12.7 lists are {page,page_size,total,data}; page_size=101 → 422; a page past the end has data [] and the true total', async () => {
    const first = (await wm.request({ method: 'GET', url: '/api/v1/logging', token })).json();
    assert.deepEqual(Object.keys(first).sort(), ['data', 'page', 'page_size', 'total']);
    assert.equal(first.page_size, 25);
    const big = await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=101', token });
    assert.equal(big.statusCode, 422);
    assert.deepEqual(big.json().detail[0], { type: 'less_than_equal', loc: ['query', 'page_size'], msg: 'Input should be less than or equal to 100', input: 101, ctx: { le: 100 } });
    const past = (await wm.request({ method: 'GET', url: '/api/v1/logging?page=999', token })).json();
    assert.deepEqual(past.data, []);
    assert.equal(past.total, first.total);
    assert.equal(past.page, 999);
  });

  it('§12.36 logging create defaults to info/unread; bad type or empty content → 422; newest first; PUT read → 200; viewer write → 403', async () => {
    const a = (await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'older' } })).json();
    const b = (await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'newer', logging_type: 'warning' } })).json();
    assert.equal(a.message, 'Log entry successfully created.');
    const list = (await wm.request({ method: 'GET', url: '/api/v1/logging', token })).json().data;
    assert.equal(list[0].public_id, b.public_id);
    assert.equal(list[1].public_id, a.public_id);
    assert.equal(list[1].logging_type, 'info');
    assert.equal(list[1].status_type, 'unread');
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: 'x', logging_type: 'debug' } })).statusCode, 422);
    assert.equal((await wm.request({ method: 'POST', url: '/api/v1/logging', token, payload: { content: '' } })).statusCode, 422);
    const read = await wm.request({ method: 'PUT', url: `/api/v1/logging/${a.public_id}`, token, payload: { status_type: 'read' } });
    assert.deepEqual(read.json(), { status: 'success', message: 'LogEntry successfully updated.' });
    const filtered = (await wm.request({ method: 'GET', url: '/api/v1/logging?status_type=read', token })).json();
    assert.deepEqual(filtered.data.map((e: { public_id: string }) => e.public_id), [a.public_id]);
    const viewer = (await wm.userWithRole('viewer')).token;
    const denied = await wm.request({ method: 'POST', url: '/api/v1/logging', token: viewer, payload: { content: 'x' } });
    assert.deepEqual(denied.json(), { detail: 'Operator privileges required.' });
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/logging', token: viewer })).statusCode, 200);
    const missing = await wm.request({ method: 'PUT', url: '/api/v1/logging/log_000000000000000000000000', token, payload: { status_type: 'read' } });
    assert.deepEqual(missing.json(), { detail: "LogEntry 'log_000000000000000000000000' not found." });
  });

  it('§12.98 /health without auth → 200 with status, version 2.0.0, database, last_datapoint null, uptime_seconds, checks', async () => {
    const res = await wm.request({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.equal(body.version, '2.0.0');
    assert.equal(body.database, 'ok');
    assert.equal(body.last_datapoint, null);
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.deepEqual(body.checks, { database: 'ok', disk: 'ok', ingestion: 'ok' });
    assert.equal(res.headers['ratelimit-limit'], undefined);
  });
});

describe('webmacs rate limiting (spec §2.8, §12 items 100–101)', () => {
  let wm: WebmacsHarness;
  // A fresh client address per run: with Redis the windows outlive this process.
  const client = `100.${randomInt(64, 127)}.${randomInt(0, 255)}.${randomInt(1, 254)}`;
  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  after(() => wm.dispose());

  it('§12.100 from a non-exempt client (X-Forwarded-For via loopback) the request past the limit → 429 with Retry-After and RateLimit-*', async () => {
    const headers = { 'x-forwarded-for': `${client}, 10.0.0.1` };
    for (let i = 0; i < 3; i++) {
      const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me', headers });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['ratelimit-limit'], '3');
      assert.equal(res.headers['ratelimit-remaining'], String(2 - i));
    }
    const limited = await wm.request({ method: 'GET', url: '/api/v1/auth/me', headers });
    assert.equal(limited.statusCode, 429);
    assert.deepEqual(limited.json(), { detail: 'Too many requests. Please try again later.' });
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    assert.match(String(limited.headers['x-request-id']), UUID_V4);

    // Exempt paths stay open for the same client.
    for (const [method, url] of [['GET', '/health'], ['GET', '/api/v1/ota'], ['GET', '/api/v1/datapoints/latest'], ['POST', '/api/v1/datapoints']] as const) {
      const res = await wm.request({ method, url, headers });
      assert.notEqual(res.statusCode, 429, `${method} ${url}`);
      assert.equal(res.headers['ratelimit-limit'], undefined);
    }
  });

  it('§12.101 loopback clients without X-Forwarded-For are exempt; X-Forwarded-For from an untrusted peer is ignored', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await wm.request({ method: 'GET', url: '/api/v1/auth/me' });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['ratelimit-limit'], undefined);
    }
    const untrusted = `198.51.100.${randomInt(1, 254)}`;
    const spoofing = { remoteAddress: untrusted, headers: { 'x-forwarded-for': '127.0.0.1' } };
    const first = await wm.request({ method: 'GET', url: '/api/v1/auth/me', ...spoofing });
    assert.equal(first.headers['ratelimit-limit'], '3', 'counted against the real peer, not the claimed loopback');
  });
});
