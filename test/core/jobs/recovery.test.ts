import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { JobReleasedError } from '../../../src/core/jobs/index.ts';
import type { JobsSchema } from '../../../src/core/jobs/rows.ts';
import { deferred, jobsFixture, type JobsFixture } from './helpers.ts';

const INTERRUPTED = 'interrupted: the process running this job stopped before it finished';
const crashWorker = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

async function runCrashWorker(fx: JobsFixture, leaseMs: number): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', crashWorker], {
    env: { ...process.env, JOBS_TEST_LOCATION: JSON.stringify(fx.test.location), JOBS_TEST_LEASE_MS: String(leaseMs) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  return code as number | null;
}

/** Makes a job look like a dead process was running it. */
async function orphan(fx: JobsFixture, id: string, lease: { owner: string; expiresAt: number; attempts?: number }) {
  await (fx.database.db as Kysely<JobsSchema>)
    .updateTable('core_jobs')
    .set({ status: 'running', lease_owner: lease.owner, lease_expires_at: lease.expiresAt, attempts: lease.attempts ?? 1, started_at: Date.now() })
    .where('id', '=', id)
    .execute();
}

describe('recovering interrupted jobs', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('re-queues a job whose process crashed mid-run and runs it again once the lease lapses', async () => {
    const engine = await fx.engine({ leaseMs: 400 });
    const job = await engine.enqueue('fragile', { file: 'a.bin' });
    assert.equal(await runCrashWorker(fx, 400), 1);
    const left = await engine.get(job.id);
    assert.deepEqual([left?.status, left?.leaseOwner, left?.progress, left?.message, left?.attempts], ['running', 'crashed-worker', 10, 'half done', 1]);

    engine.define('fragile', async (running) => `recovered on attempt ${running.attempt}`);
    await engine.start();
    const requeued = await fx.update((j) => j.id === job.id && j.status === 'pending' && j.attempts === 1);
    assert.deepEqual([requeued.retrying, requeued.lastError, requeued.leaseOwner], [true, INTERRUPTED, null]);
    const done = await fx.finished(job.id);
    assert.deepEqual([done.status, done.result, done.attempts], ['completed', 'recovered on attempt 2', 2]);
  });

  it('fails an interrupted job at start when its type says so, with the type\'s message', async () => {
    const engine = await fx.engine();
    engine.define('upload', async () => 'never', {
      onInterrupted: 'fail',
      interruptedMessage: (job) => `upload of ${(job.payload as { file: string }).file} was interrupted; upload it again`,
    });
    const job = await engine.enqueue('upload', { file: 'scan.tar' });
    await orphan(fx, job.id, { owner: 'dead-process', expiresAt: Date.now() - 1 });
    await engine.start();
    const failed = await engine.get(job.id);
    assert.deepEqual([failed?.status, failed?.error, failed?.leaseOwner], ['failed', 'upload of scan.tar was interrupted; upload it again', null]);
  });

  it('fails an interrupted job that has used all its attempts instead of looping', async () => {
    const engine = await fx.engine();
    engine.define('crashes-process', async () => 'never');
    const job = await engine.enqueue('crashes-process', {}, { maxAttempts: 2 });
    await orphan(fx, job.id, { owner: 'dead-process', expiresAt: Date.now() - 1, attempts: 2 });
    await engine.start();
    const failed = await engine.get(job.id);
    assert.deepEqual([failed?.status, failed?.error, failed?.attempts], ['failed', INTERRUPTED, 2]);
  });

  it('leaves a job with a live lease alone, unless its owner id is this starting process', async () => {
    const other = await fx.engine({ instanceId: 'restarted' });
    const job = await other.enqueue('resumable', {});
    const foreign = await other.enqueue('resumable', {});
    await orphan(fx, job.id, { owner: 'restarted', expiresAt: Date.now() + 60_000 });
    await orphan(fx, foreign.id, { owner: 'alive-elsewhere', expiresAt: Date.now() + 60_000 });
    other.define('resumable', async () => 'resumed');
    await other.start();
    assert.equal((await fx.finished(job.id)).status, 'completed');
    assert.equal((await other.get(foreign.id))?.status, 'running');
  });

  it('stop waits for running jobs, then aborts the rest and leaves them for another process to recover', async () => {
    const first = await fx.engine();
    const quickGate = deferred();
    const stuckAborted = deferred<unknown>();
    first.define('quick', () => quickGate.promise.then(() => 'finished during stop'));
    first.define('stuck', (job) =>
      new Promise((_resolve, reject) => {
        job.signal.addEventListener('abort', () => {
          stuckAborted.resolve(job.signal.reason);
          reject(job.signal.reason);
        });
      }));
    await first.start();
    const quick = await first.enqueue('quick', {});
    const stuck = await first.enqueue('stuck', {});
    await fx.update((j) => j.id === stuck.id && j.status === 'running');
    await fx.update((j) => j.id === quick.id && j.status === 'running');

    const stopping = first.stop({ timeoutMs: 300 });
    quickGate.resolve();
    await stopping;
    assert.equal((await first.get(quick.id))?.status, 'completed');
    assert.ok((await stuckAborted.promise) instanceof JobReleasedError);
    const left = await first.get(stuck.id);
    assert.deepEqual([left?.status, left?.leaseOwner], ['running', null]);

    const second = await fx.engine();
    second.define('stuck', async (job) => `picked up on attempt ${job.attempt}`);
    await second.start();
    const done = await fx.finished(stuck.id);
    assert.deepEqual([done.result, done.attempts], ['picked up on attempt 2', 2]);
  });
});
