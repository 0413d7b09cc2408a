import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheEntry } from '../../../src/apps/squirrel/live/entry.ts';
import { PendingUpdate, updatesText } from '../../../src/apps/squirrel/ws/messages.ts';

const entry = (value: unknown, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  value,
  connected: true,
  updated_at: 1768473000.25,
  status: 'NO_ALARM',
  status_code: 0,
  severity: 0,
  timestamp: 1768473000.123456,
  ...extra,
});

describe('WebSocket update messages built from shared parts (spec §3.8, §4.5)', () => {
  it('T: a diff whose data holds every pending entry as stored in the cache', () => {
    const pending = new Map([
      ['A:"quoted"', new PendingUpdate('A:"quoted"', entry(1.5, { units: 'mm' }))],
      ['B', new PendingUpdate('B', entry([1, 2, 3]))],
    ]);
    const before = Date.now() / 1000;
    const message = JSON.parse(updatesText('T', pending));
    assert.deepEqual([message.type, message.count, message.data], ['diff', 2, { 'A:"quoted"': entry(1.5, { units: 'mm' }), B: entry([1, 2, 3]) }]);
    assert.ok(message.timestamp >= before && message.timestamp <= Date.now() / 1000 + 0.001);
  });

  it('A: one pending PV is an update carrying the A-entry; several are a batch_update', () => {
    const one = new PendingUpdate('X', entry('text', { severity: 2, status_code: 3 }));
    assert.deepEqual(JSON.parse(updatesText('A', new Map([['X', one]]))), {
      type: 'update', pv_name: 'X', value: 'text', timestamp: '2026-01-15T10:30:00.123456Z', status: 3, severity: 2, connected: true,
    });
    const other = new PendingUpdate('Y', { value: null, connected: false, updated_at: 1, error: 'Disconnected from IOC' });
    const batch = JSON.parse(updatesText('A', new Map([['X', one], ['Y', other]])));
    assert.equal(batch.type, 'batch_update');
    assert.deepEqual(batch.updates.map((u: { pv_name: string; connected: boolean }) => [u.pv_name, u.connected]), [['X', true], ['Y', false]]);
    assert.equal(batch.updates[1].error, 'Disconnected from IOC');
  });

  it('one change shared by clients of both dialects gives each its own shape', () => {
    const update = new PendingUpdate('S', entry(7));
    assert.deepEqual(JSON.parse(`{${update.json('T')}}`), { S: entry(7) });
    assert.deepEqual(JSON.parse(update.json('A')).pv_name, 'S');
    // asked again after the other dialect, each still answers in its own shape
    assert.deepEqual(JSON.parse(`{${update.json('T')}}`), { S: entry(7) });
  });
});
