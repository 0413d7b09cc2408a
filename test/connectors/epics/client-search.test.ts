import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchScheduler, searchRequestBytes, type PendingSearch } from '../../../src/connectors/epics/ca/client/search.ts';
import { BeaconTracker, type BeaconAnomaly } from '../../../src/connectors/epics/ca/client/beacons.ts';

/** a scheduler on a manual clock: `advance` moves time and runs the timers that fall due */
function harness(options: { maxSearchPeriodMs?: number } = {}) {
  let now = 0;
  const sent: { at: number; cids: number[] }[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const timer = { at: now + ms, fn };
    timers.push(timer);
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: unknown) => {
    const i = timers.indexOf(timer as (typeof timers)[number]);
    if (i >= 0) timers.splice(i, 1);
  }) as typeof clearTimeout;
  const scheduler = new SearchScheduler({
    maxSearchPeriodMs: options.maxSearchPeriodMs ?? 300_000,
    now: () => now,
    send: (batch: readonly PendingSearch[]) => sent.push({ at: now, cids: batch.map((b) => b.cid) }),
  });
  return {
    scheduler,
    sent,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.fn();
      }
      now = end;
    },
    restore() {
      scheduler.close();
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}

test('a search request takes a header plus the NUL-terminated name padded to 8 bytes', () => {
  assert.equal(searchRequestBytes('A'), 24);
  assert.equal(searchRequestBytes('ABCDEFG'), 24);
  assert.equal(searchRequestBytes('ABCDEFGH'), 32);
});

test('a new name is searched at once, then retried after 50, 100, 200 ms … until found', () => {
  const h = harness();
  try {
    h.scheduler.add(1, 'PV:ONE');
    h.advance(1000);
    assert.deepEqual(h.sent.map((s) => s.at), [0, 50, 150, 350, 750]);
    h.scheduler.remove(1);
    h.advance(10_000);
    assert.equal(h.sent.length, 5);
    assert.equal(h.scheduler.size, 0);
  } finally {
    h.restore();
  }
});

test('retries never wait longer than the max search period', () => {
  const h = harness({ maxSearchPeriodMs: 300 });
  try {
    h.scheduler.add(1, 'PV:ONE');
    h.advance(1500);
    assert.deepEqual(h.sent.map((s) => s.at), [0, 50, 150, 350, 650, 950, 1250]);
  } finally {
    h.restore();
  }
});

test('names are packed into datagrams of at most 1,400 bytes, and at most 8 datagrams leave per 10 ms tick', () => {
  const h = harness();
  try {
    // each request is 16 + 16 bytes: (1400 - 16) / 32 = 43 names per datagram
    for (let cid = 0; cid < 1000; cid++) h.scheduler.add(cid, `NAME:${String(cid).padStart(6, '0')}`);
    h.advance(0);
    assert.equal(h.sent.length, 8);
    assert.ok(h.sent.every((s) => s.cids.length === 43));
    assert.deepEqual(h.sent[0]!.cids.slice(0, 3), [0, 1, 2]);
    h.advance(10);
    assert.equal(h.sent.length, 16);
    assert.equal(h.sent[8]!.at, 10);
    h.advance(20);
    // 1,000 names need 24 datagrams: three full ticks
    const firstRound = h.sent.filter((s) => s.at <= 30).flatMap((s) => s.cids);
    assert.deepEqual(new Set(firstRound).size, 1000);
  } finally {
    h.restore();
  }
});

test('a name re-queued after failed rounds waits the backoff those rounds earned', () => {
  const h = harness();
  try {
    h.scheduler.add(3, 'C', 3);
    h.advance(1000);
    assert.deepEqual(h.sent.map((s) => s.at), [200, 600]);
  } finally {
    h.restore();
  }
});

test('a beacon anomaly makes every unresolved name due again at the fastest step', () => {
  const h = harness();
  try {
    h.scheduler.add(1, 'A');
    h.scheduler.add(2, 'B');
    h.advance(10_000);
    const before = h.sent.length;
    h.scheduler.resetBackoff();
    h.advance(0);
    assert.equal(h.sent.length, before + 1);
    assert.deepEqual(h.sent.at(-1)!.cids, [1, 2]);
    h.advance(50);
    assert.equal(h.sent.length, before + 2);
  } finally {
    h.restore();
  }
});

test('a removed name that is added again starts over at the fastest step', () => {
  const h = harness();
  try {
    h.scheduler.add(7, 'X');
    h.advance(1000);
    h.scheduler.remove(7);
    h.scheduler.add(7, 'X');
    h.advance(60);
    assert.deepEqual(h.sent.slice(-2).map((s) => s.at), [1000, 1050]);
  } finally {
    h.restore();
  }
});

test('beacons from a new server, a restarted server or after a gap are anomalies; the next id or a duplicate is not', () => {
  const seen: [string, BeaconAnomaly][] = [];
  const beacons = new BeaconTracker((server, anomaly) => seen.push([server, anomaly]));
  beacons.observe('10.0.0.1:5064', 5);
  beacons.observe('10.0.0.1:5064', 6);
  beacons.observe('10.0.0.1:5064', 6);
  beacons.observe('10.0.0.1:5064', 9);
  beacons.observe('10.0.0.1:5064', 0);
  beacons.observe('10.0.0.2:5064', 0);
  beacons.forget('10.0.0.2:5064');
  beacons.observe('10.0.0.2:5064', 1);
  assert.deepEqual(seen, [
    ['10.0.0.1:5064', 'new-server'],
    ['10.0.0.1:5064', 'missed-beacons'],
    ['10.0.0.1:5064', 'restarted'],
    ['10.0.0.2:5064', 'new-server'],
    ['10.0.0.2:5064', 'new-server'],
  ]);
});
