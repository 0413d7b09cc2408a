import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { JobNotFoundError, JobStateError, type JobRecord } from '../../../src/core/jobs/index.ts';
import { deferred, jobsFixture, type JobsFixture } from './helpers.ts';

describe('job engine', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('runs a job to completion, storing its progress, message, data and result', async () => {
    const engine = await fx.engine();
    engine.define<{ n: number }, { doubled: number }>('double', async (job) => {
      await job.progress(50, 'halfway', { step: 1 });
      return { doubled: job.payload.n * 2 };
    });
    await engine.start();
    const queued = await engine.enqueue('double', { n: 21 });
    assert.equal(queued.status, 'pending');
    assert.deepEqual(queued.payload, { n: 21 });

    const done = await fx.finished(queued.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.result, { doubled: 42 });
    assert.equal(done.progress, 100);
    assert.equal(done.message, 'halfway');
    assert.deepEqual(done.data, { step: 1 });
    assert.equal(done.attempts, 1);
    assert.equal(done.error, null);
    assert.equal(done.leaseOwner, null);
    assert.ok(done.startedAt !== null && done.finishedAt !== null && done.finishedAt >= done.startedAt);
    assert.deepEqual(await engine.get(queued.id), done);
  });

  it('publishes jobs.updated with the app id for every status and progress change', async () => {
    const engine = await fx.engine();
    engine.define('step', async (job) => {
      await job.progress(40, 'working');
      return 'ok';
    });
    await engine.start();
    const { id } = await engine.enqueue('step', null);
    await fx.finished(id);
    // A claim can overtake the enqueue's own event; the version puts them in order.
    const seen = fx.events
      .filter((job) => job.id === id)
      .sort((a, b) => a.version - b.version)
      .map((job) => [job.version, job.status, job.progress, job.message]);
    assert.deepEqual(seen, [
      [1, 'pending', 0, null],
      [2, 'running', 0, null],
      [3, 'running', 40, 'working'],
      [4, 'completed', 100, 'working'],
    ]);
  });

  it('runs higher priorities first, then earlier run times', async () => {
    const engine = await fx.engine({ concurrency: 1 });
    const order: string[] = [];
    engine.define<string, void>('record', async (job) => {
      order.push(job.payload);
    });
    const now = Date.now();
    await engine.enqueue('record', 'low', { priority: -5 });
    await engine.enqueue('record', 'normal-later', { runAt: now - 1_000 });
    await engine.enqueue('record', 'normal-earlier', { runAt: now - 2_000 });
    await engine.enqueue('record', 'high', { priority: 10 });
    const last = await engine.enqueue('record', 'delayed', { delayMs: 300, priority: 100 });
    await engine.start();
    const done = await fx.finished(last.id);
    assert.deepEqual(order, ['high', 'normal-earlier', 'normal-later', 'low', 'delayed']);
    assert.ok(done.startedAt !== null && done.startedAt >= last.runAt, 'a delayed job does not start before its run time');
  });

  it('wakes idle workers on enqueue instead of waiting for the poll', async () => {
    const engine = await fx.engine({ pollIntervalMs: 60_000 });
    engine.define('quick', async () => 'done');
    await engine.start();
    const { id } = await engine.enqueue('quick', {});
    const done = await fx.finished(id, 5_000);
    assert.equal(done.status, 'completed');
  });

  it('enqueues many jobs at once and lists them newest first, filtered and paged', async () => {
    const engine = await fx.engine();
    const created = await engine.enqueueMany([
      { type: 'a', payload: 1 },
      { type: 'b', payload: 2 },
      { type: 'a', payload: 3, options: { priority: 2 } },
    ]);
    assert.deepEqual(created.map((j) => [j.type, j.payload, j.priority]), [['a', 1, 0], ['b', 2, 0], ['a', 3, 2]]);
    assert.deepEqual((await engine.list({ limit: 10 })).map((j) => j.payload), [3, 2, 1]);
    assert.deepEqual((await engine.list({ type: 'a', limit: 10 })).map((j) => j.payload), [3, 1]);
    assert.deepEqual((await engine.list({ limit: 1, offset: 1 })).map((j) => j.payload), [2]);
    assert.equal(await engine.count({ type: 'a', status: 'pending' }), 2);
    assert.equal(await engine.count({ status: ['completed', 'failed'] }), 0);
    assert.deepEqual(await engine.counts(), { pending: 3, running: 0, completed: 0, failed: 0, cancelled: 0, paused: 0 });
  });

  it('enqueues more jobs than one statement can carry, in order', async () => {
    const engine = await fx.engine();
    const created = await engine.enqueueMany(Array.from({ length: 3_000 }, (_, i) => ({ type: 'bulk', payload: i })));
    assert.deepEqual(created.map((j) => j.payload), Array.from({ length: 3_000 }, (_, i) => i));
    assert.equal(await engine.count({ type: 'bulk' }), 3_000);
  });

  it('rejects enqueue options that make no sense', async () => {
    const engine = await fx.engine();
    await assert.rejects(engine.enqueue('x', {}, { maxAttempts: 0 }), /maxAttempts must be an integer ≥ 1/);
    await assert.rejects(engine.enqueue('x', {}, { priority: 1.5, timeoutMs: -1 }), /priority must be an integer; timeoutMs must be positive/);
    await assert.rejects(engine.enqueue('', {}), /type must not be empty/);
    assert.equal(await engine.count(), 0);
  });

  it('refuses to define a job type twice', async () => {
    const engine = await fx.engine();
    engine.define('once', async () => null);
    assert.throws(() => engine.define('once', async () => null), /job type once is already defined/);
  });

  it('commits an enqueue made inside the caller transaction only with that transaction', async () => {
    const engine = await fx.engine();
    await assert.rejects(
      fx.database.transaction(async (trx) => {
        await engine.enqueue('in-trx', { kept: false }, { trx });
        throw new Error('caller rolls back');
      }),
      /caller rolls back/,
    );
    const kept = await fx.database.transaction((trx) => engine.enqueue('in-trx', { kept: true }, { trx }));
    assert.deepEqual((await engine.list({ limit: 10 })).map((j) => j.payload), [{ kept: true }]);
    assert.equal((await engine.get(kept.id))?.status, 'pending');
  });

  it('pauses and resumes a pending job, and refuses to pause one that is not pending', async () => {
    const engine = await fx.engine();
    engine.define('later', async () => 'ran');
    const job = await engine.enqueue('later', {});
    assert.equal((await engine.pause(job.id)).status, 'paused');
    await engine.start();
    await assert.rejects(engine.pause(job.id), (err: unknown) => err instanceof JobStateError && err.message === `cannot pause job ${job.id}: it is paused`);
    assert.equal((await engine.get(job.id))?.status, 'paused');
    assert.equal((await engine.resume(job.id)).status, 'pending');
    assert.equal((await fx.finished(job.id)).status, 'completed');
    await assert.rejects(engine.resume(job.id), JobStateError);
    await assert.rejects(engine.pause('no-such-job'), JobNotFoundError);
  });

  it('retries a failed job on request with fresh attempts', async () => {
    const engine = await fx.engine();
    let calls = 0;
    engine.define('flaky-once', async () => {
      calls += 1;
      if (calls === 1) throw new Error('first call fails');
      return 'second call works';
    }, { maxAttempts: 1 });
    await engine.start();
    const { id } = await engine.enqueue('flaky-once', {});
    const failed = await fx.finished(id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'Error: first call fails');
    const requeued = await engine.retry(id);
    assert.deepEqual([requeued.status, requeued.attempts, requeued.error], ['pending', 0, null]);
    const done = await fx.update((job) => job.id === id && job.status === 'completed');
    assert.deepEqual([done.result, done.attempts], ['second call works', 1]);
    await assert.rejects(engine.retry(id), /cannot retry job .*: it is completed/);
  });

  it('deletes jobs that are not running and purges finished ones by age', async () => {
    const engine = await fx.engine();
    const gate = deferred();
    engine.define('block', async () => gate.promise);
    engine.define('fast', async () => 'ok');
    await engine.start();
    const running = await engine.enqueue('block', {});
    await fx.update((job) => job.id === running.id && job.status === 'running');
    await assert.rejects(engine.delete(running.id), /cannot delete job .*: it is running/);
    const old = await engine.enqueue('fast', {});
    await fx.finished(old.id);
    const pending = await engine.enqueue('never-defined', {});
    assert.equal(await engine.delete(pending.id), true);
    assert.equal(await engine.delete(pending.id), false);

    assert.equal(await engine.purge({ finishedBefore: Date.now() + 1, type: 'other' }), 0);
    assert.equal(await engine.purge({ finishedBefore: Date.now() + 1 }), 1);
    assert.equal(await engine.get(old.id), undefined);
    gate.resolve();
    await fx.finished(running.id);
  });

  it('leaves jobs of types this process does not define alone', async () => {
    const engine = await fx.engine();
    engine.define('known', async () => 'ok');
    await engine.start();
    const unknown = await engine.enqueue('unknown', {});
    const known = await engine.enqueue('known', {});
    await fx.finished(known.id);
    assert.equal((await engine.get(unknown.id))?.status, 'pending');
  });

  it('generates time-ordered ids', async () => {
    const engine = await fx.engine();
    const jobs: JobRecord[] = [];
    for (let i = 0; i < 20; i++) jobs.push(await engine.enqueue('t', i));
    const ids = jobs.map((j) => j.id);
    assert.deepEqual([...ids].sort(), ids);
    assert.match(ids[0] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { rows } = await sql<{ n: number }>`select count(*) as n from core_jobs`.execute(fx.database.db);
    assert.equal(Number(rows[0]?.n), 20);
  });
});
