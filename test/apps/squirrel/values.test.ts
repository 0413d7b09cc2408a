import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoMicros } from '../../../src/apps/squirrel/live/values.ts';

test('isoMicros writes UTC with six fractional digits, also when consecutive values change second', () => {
  const cases: [number, string][] = [
    [1_700_000_000.123456, '2023-11-14T22:13:20.123456Z'],
    [1_700_000_000.5, '2023-11-14T22:13:20.500000Z'],
    [1_700_000_001.25, '2023-11-14T22:13:21.250000Z'],
    [1.9999999, '1970-01-01T00:00:01.999999Z'],
    [0, '1970-01-01T00:00:00.000000Z'],
    [1_700_000_001, '2023-11-14T22:13:21.000000Z'],
  ];
  for (const [stamp, expected] of cases) assert.equal(isoMicros(stamp), expected);
  assert.equal(isoMicros(null), null);
  assert.equal(isoMicros(undefined), null);
});
