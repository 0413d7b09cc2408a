import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from '../../../src/core/jobs/backoff.ts';
import { JobTimeoutError, PermanentJobError } from '../../../src/core/jobs/index.ts';
import { jobsFixture, type JobsFixture } from './helpers.ts';

describe('retry delays', () => {
  it('grow by the factor from the base, capped, and are jittered down by at most a fifth', () => {
    const backoff = { baseMs: 100, maxMs: 1_000, factor: 3 };
    assert.deepEqual([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, backoff, () => 0)), [100, 300, 900, 1_000]);
    assert.deepEqual([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, backoff, () => 1)), [80, 240, 720, 800]);
    assert.equal(retryDelayMs(2, { baseMs: 100, maxMs: 10_000 }, () => 0), 200, 'the factor is 2 unless given');
  });
});

describe('job failures', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('retries a failing job with growing delays until it succeeds', async () => {
    const engine = await fx.engine({ pollIntervalMs: 10 });
    const attemptTimes: number[] = [];
    engine.define('flaky', async (job) => {
      attemptTimes.push(Date.now());
      if (job.attempt < 4) throw new Error(`attempt ${job.attempt} failed`);
      return `succeeded on attempt ${job.attempt}`;
    }, { maxAttempts: 5, backoff: { baseMs: 100, maxMs: 10_000, factor: 3 } });
    await engine.start();
    const { id } = await engine.enqueue('flaky', {});

    const retrying = await fx.update((job) => job.id === id && job.status === 'pending' && job.retrying);
    assert.deepEqual([retrying.attempts, retrying.lastError, retrying.error], [1, 'Error: attempt 1 failed', null]);
    const done = await fx.finished(id);
    assert.deepEqual([done.status, done.result, done.attempts, done.retrying], ['completed', 'succeeded on attempt 4', 4, false]);
    const gaps = attemptTimes.slice(1).map((t, i) => t - (attemptTimes[i] ?? 0));
    // Delays are 80–100, 240–300 and 720–900 ms: each gap is at least its backoff. Claim latency on a loaded
    // machine can stretch any gap, so growth is asserted through those lower bounds, not gap against gap.
    assert.equal(gaps.length, 3);
    assert.ok(gaps[0]! >= 80 && gaps[1]! >= 240 && gaps[2]! >= 720, `gaps ${gaps.join(', ')}`);
  });

  it('fails a job for good once its attempts are used up', async () => {
    const engine = await fx.engine({ pollIntervalMs: 10 });
    let calls = 0;
    engine.define('doomed', async () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    }, { backoff: { baseMs: 1, maxMs: 1 } });
    await engine.start();
    const { id } = await engine.enqueue('doomed', {}, { maxAttempts: 2 });
    const failed = await fx.finished(id);
    assert.deepEqual([failed.status, failed.error, failed.attempts, failed.retrying], ['failed', 'Error: failure 2', 2, false]);
    assert.equal(calls, 2);
  });

  it('fails at once on an error the type calls non-retryable', async () => {
    const engine = await fx.engine();
    let calls = 0;
    engine.define('picky', async () => {
      calls += 1;
      throw Object.assign(new Error('bad input'), { code: 'BAD_INPUT' });
    }, { maxAttempts: 5, retryable: (err) => (err as { code?: string }).code !== 'BAD_INPUT' });
    await engine.start();
    const { id } = await engine.enqueue('picky', {});
    const failed = await fx.finished(id);
    assert.deepEqual([failed.status, failed.error, failed.attempts], ['failed', 'Error: bad input', 1]);
    assert.equal(calls, 1);
  });

  it('stores a thrown error as "<ErrorName>: <message>", and other thrown values as they are', async () => {
    const engine = await fx.engine();
    class QuotaError extends Error {
      override readonly name = 'QuotaError';
    }
    const throwers: Record<string, () => never> = {
      'type-error': () => {
        throw new TypeError('boom');
      },
      'custom-error': () => {
        throw new QuotaError('disk full');
      },
      'no-message': () => {
        throw new RangeError();
      },
      'a-string': () => {
        throw 'plain words';
      },
    };
    for (const [type, thrower] of Object.entries(throwers)) engine.define(type, async () => thrower(), { maxAttempts: 1 });
    await engine.start();
    const ids = await Promise.all(Object.keys(throwers).map(async (type) => (await engine.enqueue(type, {})).id));
    const errors = await Promise.all(ids.map(async (id) => (await fx.finished(id)).error));
    assert.deepEqual(errors, ['TypeError: boom', 'QuotaError: disk full', 'RangeError', 'plain words']);
  });

  it('fails at once when the handler throws PermanentJobError', async () => {
    const engine = await fx.engine();
    engine.define('permanent', async () => {
      throw new PermanentJobError('no such snapshot');
    }, { maxAttempts: 5 });
    await engine.start();
    const { id } = await engine.enqueue('permanent', {});
    const failed = await fx.finished(id);
    assert.deepEqual([failed.status, failed.error, failed.attempts], ['failed', 'PermanentJobError: no such snapshot', 1]);
  });

  it('aborts the signal of a job that runs past its timeout and fails it without retrying', async () => {
    const engine = await fx.engine();
    let abortReason: unknown;
    engine.define('slow', (job) =>
      new Promise((_resolve, reject) => {
        job.signal.addEventListener('abort', () => {
          abortReason = job.signal.reason;
          reject(job.signal.reason);
        });
      }), { maxAttempts: 3 });
    await engine.start();
    const { id } = await engine.enqueue('slow', {}, { timeoutMs: 250 });
    const failed = await fx.finished(id);
    assert.deepEqual([failed.status, failed.error, failed.attempts], ['failed', 'TimeoutError: job exceeded 0.25 s', 1]);
    assert.ok(abortReason instanceof JobTimeoutError);
    assert.equal((abortReason as JobTimeoutError).name, 'TimeoutError');
    assert.ok(failed.finishedAt! - failed.startedAt! >= 250);
  });

  it('fails a timed-out job right away even if its handler ignores the signal, and frees the slot only when it stops', async () => {
    const engine = await fx.engine({ concurrency: 1 });
    let release!: () => void;
    engine.define('stubborn', () => new Promise<void>((resolve) => (release = resolve)), { timeoutMs: 100 });
    engine.define('next', async () => 'ran');
    await engine.start();
    const stubborn = await engine.enqueue('stubborn', {});
    const failed = await fx.finished(stubborn.id);
    assert.equal(failed.error, 'TimeoutError: job exceeded 0.1 s');
    const next = await engine.enqueue('next', {});
    assert.equal((await engine.get(next.id))?.status, 'pending', 'the only slot is still held by the stubborn handler');
    release();
    assert.equal((await fx.finished(next.id)).status, 'completed');
  });

  it('expires a job that waited in the queue longer than its type allows', async () => {
    const engine = await fx.engine();
    let ran = false;
    engine.define('fresh-only', async () => {
      ran = true;
    }, { maxQueueAgeMs: 1_000 });
    const stale = await engine.enqueue('fresh-only', {}, { runAt: Date.now() - 5_000 });
    const fresh = await engine.enqueue('fresh-only', {});
    await engine.start();
    const expired = await fx.finished(stale.id);
    assert.equal(expired.status, 'failed');
    assert.match(expired.error ?? '', /^Expired: waited 5(\.\d+)? s in the queue, longer than 1 s$/);
    assert.equal((await fx.finished(fresh.id)).status, 'completed');
    assert.equal(ran, true);
  });

  it('fails a job whose result cannot be stored as JSON', async () => {
    const engine = await fx.engine();
    engine.define('bigint', async () => ({ n: 1n }));
    await engine.start();
    const { id } = await engine.enqueue('bigint', {});
    const failed = await fx.finished(id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /^the job's result cannot be stored as JSON: /);
  });
});
