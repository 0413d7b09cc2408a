import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { datapointPublicId, datapointRowId, ID_PREFIXES, isPublicId, newPublicId } from '../../../src/apps/webmacs/ids.ts';
import { isoOffset, isoZ, parseInputDatetime } from '../../../src/apps/webmacs/time.ts';

describe('webmacs ids and time formats (spec §2.1, D6, D33)', () => {
  it('§12.9 public ids are <prefix>_ + 24 chars of [0-9a-z] and do not repeat', () => {
    const seen = new Set<string>();
    for (const prefix of ID_PREFIXES) {
      for (let i = 0; i < 50; i++) {
        const id = newPublicId(prefix);
        assert.match(id, new RegExp(`^${prefix}_[0-9a-z]{24}$`));
        assert.ok(isPublicId(prefix, id));
        seen.add(id);
      }
    }
    assert.equal(seen.size, ID_PREFIXES.length * 50);
    assert.equal(isPublicId('usr', newPublicId('evt')), false);
  });

  it('§12.9 datapoint ids are dp_<base36 row id>, reversible; non-canonical forms are not ids', () => {
    assert.equal(datapointPublicId(1), 'dp_1');
    assert.equal(datapointPublicId(10_000_000), 'dp_5yc1s');
    assert.equal(datapointRowId('dp_5yc1s'), 10_000_000);
    for (const bad of ['dp_', 'dp_0', 'dp_05yc1s', 'dp_!!', 'dp_ABC', 'evt_1', 'dp_zzzzzzzzzzzz']) assert.equal(datapointRowId(bad), undefined, bad);
  });

  it('§12.8 REST times end in Z and WS/CSV times in +00:00, with 6 fraction digits only when non-zero', () => {
    assert.equal(isoZ(Date.UTC(2025, 0, 15, 14, 30) * 1000 + 123_456), '2025-01-15T14:30:00.123456Z');
    assert.equal(isoZ(Date.UTC(2025, 0, 1) * 1000), '2025-01-01T00:00:00Z');
    assert.equal(isoOffset(Date.UTC(2025, 0, 15, 14, 30) * 1000 + 5), '2025-01-15T14:30:00.000005+00:00');
    assert.equal(isoOffset(Date.UTC(2025, 0, 1) * 1000), '2025-01-01T00:00:00+00:00');
  });

  it('rendered times agree with toISOString for any instant, in any order (the per-day cache is never stale)', () => {
    const yearTenThousandMicros = 253_402_300_800_000_000;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -yearTenThousandMicros, max: yearTenThousandMicros + 10 ** 12 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const micros of times) {
          const millis = Math.floor(micros / 1000);
          const fraction = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
          const whole = new Date(millis).toISOString().slice(0, 19);
          assert.equal(isoZ(micros), fraction === 0 ? `${whole}Z` : `${whole}.${String(fraction).padStart(6, '0')}Z`);
        }
      }),
      { numRuns: 2000 },
    );
    assert.equal(isoZ(Date.UTC(2025, 0, 15, 23, 59, 59) * 1000), '2025-01-15T23:59:59Z');
    assert.equal(isoZ(Date.UTC(2025, 0, 16) * 1000 - 1), '2025-01-15T23:59:59.999999Z');
    assert.equal(isoZ(-1), '1969-12-31T23:59:59.999999Z');
  });

  it('input datetimes accept Z, offsets and naive values (as UTC) to the microsecond; junk is undefined', () => {
    const base = Date.UTC(2025, 0, 15, 14, 30) * 1000;
    assert.equal(parseInputDatetime('2025-01-15T14:30:00.123456Z'), base + 123_456);
    assert.equal(parseInputDatetime('2025-01-15T14:30:00.1234567'), base + 123_456);
    assert.equal(parseInputDatetime('2025-01-15T16:30:00+02:00'), base);
    assert.equal(parseInputDatetime('2025-01-15 14:30'), base);
    assert.equal(parseInputDatetime('2025-01-15'), Date.UTC(2025, 0, 15) * 1000);
    for (const junk of ['tomorrow', '2025-02-30T00:00:00Z', '2025-13-01', '2025-01-15T25:00:00Z', '']) assert.equal(parseInputDatetime(junk), undefined, junk);
  });
});
