import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, env, platformSettings, readSettings } from '../../../src/core/config.ts';

describe('config: environment validated at start', () => {
  it('unset variables take their defaults', () => {
    const config = readSettings(platformSettings, {});
    assert.equal(config.BURROW_HOST, '127.0.0.1');
    assert.equal(config.BURROW_PORT, 8000);
    assert.equal(config.BURROW_DATA_DIR, './data');
    assert.deepEqual(config.BURROW_APPS, []);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.BURROW_JOB_LEASE_MS, 30_000);
  });

  it('parses set values', () => {
    const config = readSettings(platformSettings, { BURROW_PORT: '9001', BURROW_APPS: 'squirrel, webmacs', BURROW_TRUST_PROXY: 'yes' });
    assert.equal(config.BURROW_PORT, 9001);
    assert.deepEqual(config.BURROW_APPS, ['squirrel', 'webmacs']);
    assert.equal(config.BURROW_TRUST_PROXY, true);
  });

  for (const [name, value, reason] of [
    ['BURROW_PORT', 'abc', /must be an integer/],
    ['BURROW_PORT', '70000', /at most 65535/],
    ['BURROW_LOG_LEVEL', 'loud', /must be one of/],
    ['BURROW_TRUST_PROXY', 'maybe', /true or false/],
    ['DATABASE_URL', 'mysql://x@y/z', /postgres or postgresql/],
    ['REDIS_URL', 'not a url', /must be a URL/],
    ['BURROW_JOB_LEASE_MS', '100', /at least 300/],
    ['BURROW_JOB_LEASE_MS', '1.5', /must be an integer/],
    ['BURROW_SQLITE_READERS', '-1', /at least 0/],
    ['BURROW_SQLITE_READERS', 'many', /must be an integer/],
  ] as const) {
    it(`a bad ${name} (${value}) stops start-up naming the variable`, () => {
      assert.throws(
        () => readSettings(platformSettings, { [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.variable === name && reason.test(err.message) && err.message.startsWith(`${name}:`),
      );
    });
  }

  it('never echoes a secret value in the error', () => {
    const spec = { TOKEN: env.string({ default: '', description: 't', secret: true, pattern: /^sk_/ }) };
    assert.throws(() => readSettings(spec, { TOKEN: 'hunter2' }), (err: Error) => !err.message.includes('hunter2'));
  });

  it('demo overrides replace defaults but never explicit values', () => {
    const spec = { N: env.int<number>({ default: 1, description: 'n' }), M: env.int<number>({ default: 1, description: 'm' }) };
    assert.deepEqual(readSettings(spec, { M: '5' }, { N: 10, M: 10 }), { N: 10, M: 5 });
  });

  it('lists can be restricted to known values', () => {
    const spec = { APPS: env.list({ default: [], description: 'a', allowed: ['a', 'b'] }) };
    assert.throws(() => readSettings(spec, { APPS: 'a,zzz' }), /unknown value\(s\) zzz/);
  });
});
