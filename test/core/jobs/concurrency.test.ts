import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobEngine } from '../../../src/core/jobs/index.ts';
import { deferred, jobsFixture, type JobsFixture } from './helpers.ts';

/** Counts how many handlers run at once, overall and per key. */
function occupancy() {
  let active = 0;
  let peak = 0;
  const activeByKey = new Map<string, number>();
  const peakByKey = new Map<string, number>();
  return {
    async during(key: string, work: () => Promise<void>) {
      active += 1;
      peak = Math.max(peak, active);
      activeByKey.set(key, (activeByKey.get(key) ?? 0) + 1);
      peakByKey.set(key, Math.max(peakByKey.get(key) ?? 0, activeByKey.get(key) ?? 0));
      try {
        await work();
      } finally {
        active -= 1;
        activeByKey.set(key, (activeByKey.get(key) ?? 1) - 1);
      }
    },
    get active() {
      return active;
    },
    get peak() {
      return peak;
    },
    peakOf: (key: string) => peakByKey.get(key) ?? 0,
  };
}

async function allFinished(fx: JobsFixture, ids: readonly string[]) {
  return Promise.all(ids.map((id) => fx.finished(id, 20_000)));
}

describe('job concurrency', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('two processes on one database run each of 200 jobs exactly once', async () => {
    const runs: Array<{ id: string; by: string }> = [];
    const engines: JobEngine[] = [await fx.engine({ concurrency: 4 }), await fx.engine({ concurrency: 4 })];
    for (const engine of engines) {
      engine.define('work', async (job) => {
        runs.push({ id: job.id, by: engine.instanceId });
        await sleep(1);
      });
    }
    const jobs = await engines[0]!.enqueueMany(Array.from({ length: 200 }, (_, i) => ({ type: 'work', payload: i })));
    await Promise.all(engines.map((e) => e.start()));
    const finished = await allFinished(fx, jobs.map((j) => j.id));

    assert.deepEqual(new Set(finished.map((j) => j.status)), new Set(['completed']));
    assert.equal(runs.length, 200);
    assert.equal(new Set(runs.map((r) => r.id)).size, 200);
    for (const engine of engines) {
      assert.ok(runs.some((r) => r.by === engine.instanceId), `${engine.instanceId} ran some of the jobs`);
    }
    assert.deepEqual(await engines[1]!.counts(), { pending: 0, running: 0, completed: 200, failed: 0, cancelled: 0, paused: 0 });
  });

  it('runs a singleton type one job at a time across two processes', async () => {
    const seen = occupancy();
    const engines = [await fx.engine({ concurrency: 4 }), await fx.engine({ concurrency: 4 })];
    for (const engine of engines) {
      engine.define('exclusive', () => seen.during('exclusive', () => sleep(20)), { singleton: true });
    }
    const jobs = await engines[0]!.enqueueMany(Array.from({ length: 6 }, (_, i) => ({ type: 'exclusive', payload: i })));
    assert.deepEqual(jobs.map((j) => j.singletonKey), Array(6).fill('exclusive'));
    await Promise.all(engines.map((e) => e.start()));
    await allFinished(fx, jobs.map((j) => j.id));
    assert.equal(seen.peak, 1);
  });

  it('runs jobs of one singleton key one at a time while other keys run alongside', async () => {
    const seen = occupancy();
    const engines = [await fx.engine({ concurrency: 4 }), await fx.engine({ concurrency: 4 })];
    for (const engine of engines) {
      engine.define<{ device: string }, void>('configure', (job) => seen.during(job.payload.device, () => sleep(20)));
    }
    const jobs = await engines[0]!.enqueueMany(
      ['a', 'b', 'a', 'b', 'a', 'b'].map((device) => ({ type: 'configure', payload: { device }, options: { singletonKey: `device:${device}` } })),
    );
    await Promise.all(engines.map((e) => e.start()));
    await allFinished(fx, jobs.map((j) => j.id));
    assert.equal(seen.peakOf('a'), 1);
    assert.equal(seen.peakOf('b'), 1);
    assert.equal(seen.peak, 2);
  });

  it('keeps to the per-type limit within the engine-wide limit', async () => {
    const seen = occupancy();
    // Handlers hold their slots until all five are taken, so the peak does not depend on timing.
    const saturated = deferred();
    const hold = () => {
      if (seen.active === 5) saturated.resolve();
      return saturated.promise;
    };
    const engine = await fx.engine({ concurrency: 5 });
    engine.define('heavy', () => seen.during('heavy', hold), { concurrency: 2 });
    engine.define('light', () => seen.during('light', hold));
    const jobs = await engine.enqueueMany([
      ...Array.from({ length: 8 }, () => ({ type: 'heavy', payload: null })),
      ...Array.from({ length: 8 }, () => ({ type: 'light', payload: null })),
    ]);
    await engine.start();
    await allFinished(fx, jobs.map((j) => j.id));
    assert.equal(seen.peakOf('heavy'), 2);
    assert.equal(seen.peak, 5);
  });
});
