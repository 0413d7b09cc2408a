import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import {
  createJobEngine,
  JobCancelledError,
  JobNotFoundError,
  JobReleasedError,
  JobStateError,
  type RunningJob,
} from '../../../src/core/jobs/index.ts';
import { busHub, deferred, jobsFixture, type JobsFixture } from './helpers.ts';

/** A handler that runs until its signal aborts, then reports what it saw. */
function untilAborted() {
  const started = deferred<RunningJob>();
  const stopped = deferred<{ reason: unknown; aborted: boolean }>();
  const handler = (job: RunningJob) => {
    started.resolve(job);
    return new Promise<never>((_resolve, reject) => {
      job.signal.addEventListener('abort', () => {
        stopped.resolve({ reason: job.signal.reason, aborted: job.signal.aborted });
        reject(job.signal.reason);
      });
    });
  };
  return { handler, started: started.promise, stopped: stopped.promise };
}

describe('cancelling jobs', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('cancels a pending job so it never runs', async () => {
    const engine = await fx.engine();
    let ran = false;
    engine.define('never', async () => {
      ran = true;
    });
    const job = await engine.enqueue('never', {}, { delayMs: 200 });
    const cancelled = await engine.cancel(job.id, 'no longer wanted');
    assert.deepEqual([cancelled.status, cancelled.error], ['cancelled', 'no longer wanted']);
    assert.ok(cancelled.finishedAt !== null);
    await engine.start();
    const later = await engine.enqueue('never', {}, { delayMs: 250 });
    await engine.cancel(later.id);
    assert.equal(ran, false);
    assert.equal((await engine.get(job.id))?.status, 'cancelled');
  });

  it('aborts a running job: its handler sees the cancel reason and stops, and the job ends cancelled', async () => {
    const engine = await fx.engine({ concurrency: 1 });
    const probe = untilAborted();
    engine.define('long', probe.handler);
    engine.define('after', async () => 'slot free again');
    await engine.start();
    const job = await engine.enqueue('long', {});
    const running = await probe.started;
    assert.equal(running.signal.aborted, false);

    const cancelled = await engine.cancel(job.id, 'operator stopped it');
    assert.deepEqual([cancelled.status, cancelled.error], ['cancelled', 'operator stopped it']);
    const seen = await probe.stopped;
    assert.equal(seen.aborted, true);
    assert.ok(seen.reason instanceof JobCancelledError);
    assert.equal((seen.reason as Error).message, 'operator stopped it');
    const next = await engine.enqueue('after', {});
    assert.equal((await fx.finished(next.id)).status, 'completed');
    const final = await engine.get(job.id);
    assert.deepEqual([final?.status, final?.error, final?.leaseOwner], ['cancelled', 'operator stopped it', null]);
  });

  it('aborts a job running in another process through the bus', async () => {
    const worker = await fx.engine();
    const api = await fx.engine();
    const probe = untilAborted();
    worker.define('long', probe.handler);
    await worker.start();
    const job = await api.enqueue('long', {});
    await probe.started;
    await api.cancel(job.id, 'cancelled from another instance');
    const seen = await probe.stopped;
    assert.ok(seen.reason instanceof JobCancelledError);
    assert.equal((seen.reason as Error).message, 'cancelled from another instance');
  });

  it('aborts a job whose row changed behind its back at the next lease renewal', async () => {
    const worker = await fx.engine({ leaseMs: 300 });
    // An engine on another bus: the worker hears nothing and must notice through its lease.
    const isolated = createJobEngine({ database: await fx.test.reopen(), bus: busHub().bus(), logger: pino({ level: 'silent' }), appId: 'jobs' });
    const probe = untilAborted();
    worker.define('long', probe.handler);
    await worker.start();
    const job = await worker.enqueue('long', {});
    await probe.started;
    await isolated.cancel(job.id);
    const seen = await probe.stopped;
    assert.ok(seen.reason instanceof JobReleasedError);
    assert.equal((await worker.get(job.id))?.status, 'cancelled');
  });

  it('ignores writes from a cancelled handler that keeps going', async () => {
    const engine = await fx.engine();
    const started = deferred<RunningJob>();
    const finish = deferred();
    engine.define('lingering', async (job) => {
      started.resolve(job);
      await finish.promise;
      await job.progress(90, 'still going', undefined, { force: true });
      await job.setData({ late: true });
      return 'late result';
    });
    await engine.start();
    const { id } = await engine.enqueue('lingering', {});
    const running = await started.promise;
    await engine.cancel(id);
    assert.equal(running.signal.aborted, true);
    finish.resolve();
    await engine.stop({ timeoutMs: 5_000 });
    const final = await engine.get(id);
    assert.deepEqual([final?.status, final?.progress, final?.message, final?.data, final?.result], ['cancelled', 0, null, null, null]);
  });

  it('returns an already cancelled job as it is, and refuses to cancel a finished or unknown one', async () => {
    const engine = await fx.engine();
    engine.define('quick', async () => 'ok');
    const pending = await engine.enqueue('quick', {}, { delayMs: 60_000 });
    const first = await engine.cancel(pending.id, 'first reason');
    assert.deepEqual(await engine.cancel(pending.id, 'second reason'), first);
    await engine.start();
    const done = await engine.enqueue('quick', {});
    await fx.finished(done.id);
    await assert.rejects(engine.cancel(done.id), (err: unknown) => err instanceof JobStateError && err.status === 'completed');
    await assert.rejects(engine.cancel('missing'), (err: unknown) => err instanceof JobNotFoundError && err.code === 'JOB_NOT_FOUND');
  });
});
