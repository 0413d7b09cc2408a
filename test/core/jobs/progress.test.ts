import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressThrottle, type ProgressUpdate } from '../../../src/core/jobs/progress.ts';
import { deferred, jobsFixture, type JobsFixture } from './helpers.ts';

describe('progress throttle', () => {
  it('writes when progress moves two points, at 0 and 100, and when forced; clamps and rounds', async () => {
    const writes: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(async (update) => void writes.push(update), 0);
    for (const percent of [0.4, 1, 1.6, 3, 3.4, -5, 120]) await throttle.report({ progress: percent });
    await throttle.report({ progress: 100, message: 'done again' });
    await throttle.report({ progress: 50, message: 'forced' }, true);
    throttle.close();
    assert.deepEqual(writes, [
      { progress: 0, message: undefined, data: undefined },
      { progress: 2, message: undefined, data: undefined },
      { progress: 0, message: undefined, data: undefined },
      { progress: 100, message: undefined, data: undefined },
      { progress: 100, message: 'done again', data: undefined },
      { progress: 50, message: 'forced', data: undefined },
    ]);
  });

  it('carries the latest message and data of skipped updates into the next write', async () => {
    const writes: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(async (update) => void writes.push(update), 10);
    await throttle.report({ progress: 11, message: 'reading', data: { page: 1 } });
    await throttle.report({ progress: 11, data: { page: 2 } });
    await throttle.report({ progress: 12 });
    throttle.close();
    assert.deepEqual(writes, [{ progress: 12, message: 'reading', data: { page: 2 } }]);
  });

  it('writes a held-back update within two seconds, and nothing after close', async () => {
    const written = deferred<ProgressUpdate>();
    const writes: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(async (update) => {
      writes.push(update);
      written.resolve(update);
    }, 10);
    const reportedAt = Date.now();
    await throttle.report({ progress: 11, message: 'slow step' });
    assert.deepEqual(writes, []);
    assert.deepEqual(await written.promise, { progress: 11, message: 'slow step', data: undefined });
    const waited = Date.now() - reportedAt;
    assert.ok(waited >= 1_900, `written after ${waited} ms, not before the two seconds are up`);
    throttle.close();
    await throttle.report({ progress: 90 }, true);
    assert.equal(writes.length, 1);
  });
});

describe('job progress', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('persists and publishes a handler reporting every percent only every second percent', async () => {
    const engine = await fx.engine();
    engine.define('counting', async (job) => {
      for (let percent = 1; percent <= 100; percent++) await job.progress(percent, `at ${percent}`);
      return 'counted';
    });
    await engine.start();
    const { id } = await engine.enqueue('counting', {});
    await fx.finished(id);
    const running = fx.events.filter((job) => job.id === id && job.status === 'running').sort((a, b) => a.version - b.version);
    const expected = [0, ...Array.from({ length: 50 }, (_, i) => 2 * (i + 1))];
    assert.deepEqual(running.map((job) => job.progress), expected);
    assert.deepEqual(running.slice(1).map((job) => job.message), expected.slice(1).map((p) => `at ${p}`));
  });

  it('stores handler data at once with setData and hands it to the next attempt', async () => {
    const engine = await fx.engine({ pollIntervalMs: 10 });
    const seenData: unknown[] = [];
    engine.define('checkpointing', async (job) => {
      seenData.push(job.data);
      await job.setData({ resumeFrom: job.attempt * 10 });
      if (job.attempt === 1) throw new Error('crash after checkpoint');
      return 'resumed';
    }, { backoff: { baseMs: 1, maxMs: 1 } });
    await engine.start();
    const { id } = await engine.enqueue('checkpointing', {});
    const done = await fx.finished(id);
    assert.deepEqual(seenData, [null, { resumeFrom: 10 }]);
    assert.deepEqual(done.data, { resumeFrom: 20 });
  });
});
