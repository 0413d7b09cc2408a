import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../../../src/core/db/index.ts';
import { JobClaimer } from '../../../src/core/jobs/claim.ts';
import { JobRepository } from '../../../src/core/jobs/repo.ts';
import { jobsFixture, type JobsFixture } from './helpers.ts';

/** The database, with `between` run once right after the claim's first statement (its select on SQLite). */
function interleaved(database: AppDatabase, between: () => Promise<unknown>): AppDatabase {
  let pending: (() => Promise<unknown>) | undefined = between;
  return {
    ...database,
    async executeCompiled(sql, parameters) {
      const result = await database.executeCompiled(sql, parameters);
      const run = pending;
      pending = undefined;
      if (run) await run();
      return result as never;
    },
  };
}

describe('claiming jobs', () => {
  let fx: JobsFixture;
  beforeEach(async () => {
    fx = await jobsFixture();
  });
  afterEach(() => fx.dispose());

  it('claims the best due jobs in order, moved to running under the owner with their lease', async () => {
    const engine = await fx.engine();
    const low = await engine.enqueue('work', { n: 1 }, { priority: 0 });
    const high = await engine.enqueue('work', { n: 2 }, { priority: 5 });
    await engine.enqueue('work', { n: 3 }, { delayMs: 60_000 });
    await engine.enqueue('other', { n: 4 });
    const now = Date.now();
    const claimed = await new JobClaimer(fx.database).claim({ types: ['work'], limit: 5, owner: 'me', leaseMs: 1_000, now });
    assert.deepEqual(claimed.map((row) => row.id), [high.id, low.id]);
    for (const row of claimed) {
      assert.deepEqual([row.status, row.attempts, row.lease_owner, row.lease_expires_at, row.started_at], ['running', 1, 'me', now + 1_000, now]);
      const stored = (await fx.database.db.selectFrom('core_jobs').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow()) as typeof row;
      assert.deepEqual(row, stored, 'the claimed row is the stored row');
    }
  });

  it('does not take a job cancelled between choosing and claiming it, and returns only those it took', async (t) => {
    const engine = await fx.engine();
    const first = await engine.enqueue('work', { n: 1 });
    const second = await engine.enqueue('work', { n: 2 });
    // Postgres chooses and claims in one statement with row locks: there is no "between" to test.
    if (fx.database.dialect.supportsSkipLocked) return t.skip('one statement on Postgres');
    const repo = new JobRepository(fx.database);
    const racing = interleaved(fx.database, () => repo.transition(first.id, ['pending'], { status: 'cancelled', updated_at: Date.now() }));
    const claimed = await new JobClaimer(racing).claim({ types: ['work'], limit: 5, owner: 'me', leaseMs: 1_000, now: Date.now() });
    assert.deepEqual(claimed.map((row) => [row.id, row.status, row.lease_owner]), [[second.id, 'running', 'me']]);
    assert.equal((await engine.get(first.id))?.status, 'cancelled');
  });
});
