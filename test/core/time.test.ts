import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoMillis, utcSeconds } from '../../src/core/time.ts';

test('utcSeconds agrees with toISOString for any instant, in any order (the per-day cache is never stale)', () => {
  const yearTenThousand = 253_402_300_800_000;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -yearTenThousand, max: yearTenThousand + 10 ** 9 }), { minLength: 1, maxLength: 20 }), (instants) => {
      for (const millis of instants) assert.equal(utcSeconds(millis), new Date(millis).toISOString().slice(0, 19));
    }),
    { numRuns: 2000 },
  );
  assert.equal(utcSeconds(Date.UTC(2025, 0, 15, 23, 59, 59, 999)), '2025-01-15T23:59:59');
  assert.equal(utcSeconds(-1), '1969-12-31T23:59:59');
});

test('isoMillis is toISOString for any instant, in any order, six-digit years included', () => {
  const beyondYearTenThousand = 253_402_300_800_000 + 10 ** 12;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -beyondYearTenThousand, max: beyondYearTenThousand }), { minLength: 1, maxLength: 20 }), (instants) => {
      for (const millis of instants) assert.equal(isoMillis(millis), new Date(millis).toISOString());
    }),
    { numRuns: 2000 },
  );
  assert.equal(isoMillis(Date.UTC(2026, 10, 22, 9, 5, 7, 4)), '2026-11-22T09:05:07.004Z');
  assert.equal(isoMillis(-1), '1969-12-31T23:59:59.999Z');
});
