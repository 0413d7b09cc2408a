import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisUrlWithCredentials } from '../../../src/apps/squirrel/index.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';
import { eventually, isolatedRedisNames, startSquirrel } from './helpers.ts';

describe('SQUIRREL_REDIS_USERNAME / _PASSWORD merged into the Redis URL (spec §6)', () => {
  it('sets the user and password, replacing those of the URL and encoding what a URL cannot carry', () => {
    assert.equal(redisUrlWithCredentials('redis://127.0.0.1:6379/2', 'squirrel', 'p@ss:w/rd'), 'redis://squirrel:p%40ss%3Aw%2Frd@127.0.0.1:6379/2');
    assert.equal(redisUrlWithCredentials('redis://old:secret@redis.example:6380', 'new', undefined), 'redis://new:secret@redis.example:6380');
  });

  it('a password alone authenticates the default user; no credentials leave the URL as it is', () => {
    assert.equal(redisUrlWithCredentials('redis://127.0.0.1:6379', undefined, 'pw'), 'redis://:pw@127.0.0.1:6379');
    assert.equal(redisUrlWithCredentials('rediss://h:1/0', undefined, undefined), 'rediss://h:1/0');
  });
});

describe('squirrel on a Redis ACL user, and its monitor lock key (spec §6, §4.3)', { skip: testRedisUrl ? false : 'needs REDIS_URL' }, () => {
  let admin: Redis;
  const names = isolatedRedisNames();
  // every squirrel key and channel of this test starts with it (see isolatedRedisNames)
  const prefix = names.SQUIRREL_REDIS_PV_HASH_KEY!.replace(/:pv:values$/, '');
  const user = uniqueName('sq_acl');
  const password = randomBytes(12).toString('hex');

  before(async () => {
    admin = new Redis(testRedisUrl!);
    // the user may touch only this test's keys and channels: the lock must live under SQUIRREL_MONITOR_LOCK_KEY
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${prefix}:*`, `&${prefix}:*`, '+@all');
  });

  after(async () => {
    await admin.call('ACL', 'DELUSER', user);
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });

  const env = (pw: string) => ({
    ...names,
    SQUIRREL_REDIS_URL: testRedisUrl!,
    SQUIRREL_REDIS_USERNAME: user,
    SQUIRREL_REDIS_PASSWORD: pw,
    SQUIRREL_MONITOR_ENABLED: 'true',
    SQUIRREL_INSTANCE_ID: 'acl-a',
  });

  it('connects as the ACL user and holds the lock under the bare SQUIRREL_MONITOR_LOCK_KEY with the spec TTL', async () => {
    const sq = await startSquirrel(env(password));
    try {
      assert.deepEqual((await sq.call('GET', '/v1/pvs/cache/status')).json(), { cached_pv_count: 0, status: 'connected', backend: 'redis', error: null });
      const clients = String(await admin.call('CLIENT', 'LIST'));
      assert.match(clients, new RegExp(`user=${user} `));
      const lockKey = names.SQUIRREL_MONITOR_LOCK_KEY!;
      assert.equal(await eventually(async () => (await admin.get(lockKey)) ?? undefined, 3000, 'the lock taken'), 'acl-a');
      const ttl = await admin.ttl(lockKey);
      assert.ok(ttl > 20 && ttl <= 30, `lock ttl ${ttl}`);
      // nothing under the platform prefix: the key is the spec's, not <BURROW_REDIS_PREFIX>:squirrel:leader:…
      const platformPrefix = sq.test.server.context('squirrel').redisPrefix;
      assert.deepEqual(await admin.keys(`${platformPrefix}:leader:*`), []);
      assert.equal((await sq.call('GET', '/v1/health/monitor/status')).json().leader, 'acl-a');
    } finally {
      await sq.dispose();
    }
    // graceful shutdown releases the lock (spec §4.3)
    assert.equal(await admin.get(names.SQUIRREL_MONITOR_LOCK_KEY!), null);
  });

  it('a wrong password is reported by the cache status, and the instance never takes the lock', async () => {
    const sq = await startSquirrel(env('not-the-password'));
    try {
      const status = await eventually(async () => {
        const body = (await sq.call('GET', '/v1/pvs/cache/status')).json();
        return body.status === 'disconnected' ? body : undefined;
      }, 5000, 'the cache reported disconnected');
      assert.equal(status.backend, 'redis');
      assert.equal(typeof status.error, 'string');
      const monitor = await sq.call('GET', '/v1/health/monitor');
      assert.equal(monitor.statusCode, 503);
      assert.equal((await sq.call('GET', '/v1/health/monitor/status')).json().leader, null);
      assert.equal(await admin.get(names.SQUIRREL_MONITOR_LOCK_KEY!), null);
    } finally {
      await sq.dispose();
    }
  });
});
