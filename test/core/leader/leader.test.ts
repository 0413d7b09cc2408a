import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createLeaderElection, type LeaderElection, type LeaderElectionOptions } from '../../../src/core/leader/index.ts';
import { testRedisUrl, uniqueName } from '../../helpers/db.ts';

const needsRedis = { skip: testRedisUrl ? false : 'needs REDIS_URL (CI runs the suite with and without it)' };
const logger = pino({ level: 'silent' });

/** A Redis connection closed when the test ends, pass or fail. */
function connect(t: TestContext): Redis {
  const redis = new Redis(testRedisUrl as string);
  t.after(() => redis.disconnect());
  return redis;
}

/** An election stopped when the test ends, recording every change it reports. */
function elect(t: TestContext, options: Omit<LeaderElectionOptions, 'logger'>) {
  const election = createLeaderElection({ ...options, logger });
  const changes: boolean[] = [];
  election.onChange((leader) => changes.push(leader));
  t.after(() => election.stop());
  return { election, changes };
}

function nextChange(election: LeaderElection, to: boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = election.onChange((leader) => {
      if (leader !== to) return;
      off();
      resolve();
    });
  });
}

test('without Redis the process leads from start() until stop()', async (t) => {
  const { election, changes } = elect(t, { key: 'singleton', instanceId: 'only' });
  assert.equal(election.isLeader(), false);

  await election.start();
  assert.equal(election.isLeader(), true);
  await election.stop();

  assert.equal(election.isLeader(), false);
  assert.deepEqual(changes, [true, false]);
  assert.equal(election.key, 'singleton');
});

test('rejects a renewal period that is not positive or longer than half the lease', () => {
  for (const [ttlMs, renewEveryMs] of [[1000, 600], [1000, 0], [1000, -5]]) {
    assert.throws(() => createLeaderElection({ key: 'k', instanceId: 'i', ttlMs, renewEveryMs, logger }), RangeError);
  }
});

test('a listener that throws does not stop the others from hearing the change', async (t) => {
  const { election, changes } = elect(t, { key: 'singleton', instanceId: 'only' });
  election.onChange(() => {
    throw new Error('listener bug');
  });
  const later: boolean[] = [];
  election.onChange((leader) => later.push(leader));

  await election.start();

  assert.deepEqual(changes, [true]);
  assert.deepEqual(later, [true]);
});

test('of two elections on one key exactly one leads, and the key names it', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs: 3000, renewEveryMs: 250 });
  const b = elect(t, { key, redis, instanceId: 'instance-b', ttlMs: 3000, renewEveryMs: 250 });

  await Promise.all([a.election.start(), b.election.start()]);

  const leaders = [a, b].filter(({ election }) => election.isLeader());
  assert.equal(leaders.length, 1);
  const [leader, follower] = a.election.isLeader() ? [a, b] : [b, a];
  assert.equal(await redis.get(key), leader === a ? 'instance-a' : 'instance-b');
  assert.deepEqual(leader.changes, [true]);
  assert.deepEqual(follower.changes, []);
  const pttl = await redis.pttl(key);
  assert.ok(pttl > 0 && pttl <= 3000, `lease ttl ${pttl}`);
});

test('when the leader stops, it releases the lease and the other takes over within the ttl', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  const ttlMs = 3000;
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs, renewEveryMs: 250 });
  await a.election.start();
  const b = elect(t, { key, redis, instanceId: 'instance-b', ttlMs, renewEveryMs: 250 });
  await b.election.start();
  assert.equal(b.election.isLeader(), false);

  const takeover = nextChange(b.election, true);
  const stoppedAt = Date.now();
  await a.election.stop();
  await takeover;

  assert.ok(Date.now() - stoppedAt < ttlMs, 'took over before the old lease could have expired');
  assert.deepEqual(a.changes, [true, false]);
  assert.equal(await redis.get(key), 'instance-b');
});

test('a leader cut off from Redis steps down, and the other takes over only after the lease expires', needsRedis, async (t) => {
  const redis = connect(t);
  const leaderConnection = connect(t);
  const key = uniqueName('leader');
  const timeline: string[] = [];
  const a = elect(t, { key, redis: leaderConnection, instanceId: 'instance-a', ttlMs: 1000, renewEveryMs: 250 });
  await a.election.start();
  const b = elect(t, { key, redis, instanceId: 'instance-b', ttlMs: 1000, renewEveryMs: 250 });
  await b.election.start();
  a.election.onChange((leader) => timeline.push(`a:${leader}`));
  b.election.onChange((leader) => timeline.push(`b:${leader}`));
  const takeover = nextChange(b.election, true);

  leaderConnection.disconnect();
  await takeover;

  assert.deepEqual(timeline, ['a:false', 'b:true']);
  assert.equal(a.election.isLeader(), false);
  assert.equal(await redis.get(key), 'instance-b');
});

test('a leader whose lease was taken by another owner steps down and stays a follower', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs: 3000, renewEveryMs: 250 });
  await a.election.start();
  const steppedDown = nextChange(a.election, false);

  await redis.set(key, 'intruder', 'PX', 3000);
  await steppedDown;

  assert.equal(a.election.isLeader(), false);
  assert.deepEqual(a.changes, [true, false]);
  assert.equal(await redis.get(key), 'intruder');
});

test('a leader whose lease expired steps down, then takes the free lease again', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs: 3000, renewEveryMs: 250 });
  await a.election.start();
  const back = nextChange(a.election, true);

  await redis.del(key);
  await back;

  assert.deepEqual(a.changes, [true, false, true]);
  assert.equal(await redis.get(key), 'instance-a');
});

test('an instance restarted under the same id takes back its own unexpired lease at once', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  await redis.set(key, 'instance-a', 'PX', 3000);
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs: 3000, renewEveryMs: 250 });

  await a.election.start();

  assert.equal(a.election.isLeader(), true);
});

test('stop() releases only a lease this instance owns', needsRedis, async (t) => {
  const redis = connect(t);
  const key = uniqueName('leader');
  await redis.set(key, 'instance-b', 'PX', 3000);
  const a = elect(t, { key, redis, instanceId: 'instance-a', ttlMs: 3000, renewEveryMs: 250 });
  await a.election.start();

  await a.election.stop();

  assert.equal(a.election.isLeader(), false);
  assert.deepEqual(a.changes, []);
  assert.equal(await redis.get(key), 'instance-b');
});
