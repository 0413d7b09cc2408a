import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionBatcher } from '../../../src/core/jobs/completions.ts';
import type { JobRow } from '../../../src/core/jobs/rows.ts';
import { deferred } from './helpers.ts';

const rowFor = (id: string, result: string) => ({ id, result }) as JobRow;

describe('completion batcher', () => {
  it('writes the completions of one event-loop turn together, and those arriving during a write in the next one', async () => {
    const writes: string[][] = [];
    const firstWrite = deferred();
    const batcher = new CompletionBatcher(async (results) => {
      writes.push(results.map((r) => r.id));
      if (writes.length === 1) await firstWrite.promise;
      return results.map((r) => rowFor(r.id, r.result));
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
    assert.deepEqual(await Promise.all([...sameTurn, later]), [rowFor('a', '1'), rowFor('b', '2'), rowFor('c', '3')]);
    assert.deepEqual(writes, [['a', 'b'], ['c']]);
  });

  it('resolves undefined for a job the write did not complete, and rejects a failed write\'s batch only', async () => {
    let calls = 0;
    const batcher = new CompletionBatcher(async (results) => {
      calls += 1;
      if (calls === 1) throw new Error('database unavailable');
      return results.filter((r) => r.id !== 'cancelled').map((r) => rowFor(r.id, r.result));
    });
    const failed = assert.rejects(batcher.complete('x', '0'), /database unavailable/);
    await new Promise((resolve) => setImmediate(resolve));
    const kept = batcher.complete('kept', '1');
    const cancelled = batcher.complete('cancelled', '2');
    await failed;
    assert.deepEqual(await kept, rowFor('kept', '1'));
    assert.equal(await cancelled, undefined);
  });
});
