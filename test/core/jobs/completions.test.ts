import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionBatcher } from '../../../src/core/jobs/completions.ts';
import { deferred } from './helpers.ts';

const AT = 1_700_000_000_000;

describe('completion batcher', () => {
  it('writes the completions of one event-loop turn together, and those arriving during a write in the next one', async () => {
    const writes: string[][] = [];
    const firstWrite = deferred();
    const batcher = new CompletionBatcher(async (results) => {
      writes.push(results.map((r) => r.id));
      if (writes.length === 1) await firstWrite.promise;
      return { completed: new Set(results.map((r) => r.id)), at: AT + writes.length };
    });
    const sameTurn = [batcher.complete('a', '1'), batcher.complete('b', '2')];
    assert.deepEqual(writes, [], 'nothing is written before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, [['a', 'b']]);
    const later = batcher.complete('c', '3');
    let settled = false;
    void Promise.all(sameTurn).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'a completion is acknowledged only once its write is done');
    firstWrite.resolve();
    assert.deepEqual(await Promise.all([...sameTurn, later]), [AT + 1, AT + 1, AT + 2]);
    assert.deepEqual(writes, [['a', 'b'], ['c']]);
  });

  it('resolves the completion time, undefined for a job the write did not complete, and rejects a failed write\'s batch only', async () => {
    let calls = 0;
    const batcher = new CompletionBatcher(async (results) => {
      calls += 1;
      if (calls === 1) throw new Error('database unavailable');
      return { completed: new Set(results.filter((r) => r.id !== 'cancelled').map((r) => r.id)), at: AT };
    });
    const failed = assert.rejects(batcher.complete('x', '0'), /database unavailable/);
    await new Promise((resolve) => setImmediate(resolve));
    const kept = batcher.complete('kept', '1');
    const cancelled = batcher.complete('cancelled', '2');
    await failed;
    assert.equal(await kept, AT);
    assert.equal(await cancelled, undefined);
  });
});
