import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LTTB } from 'downsample';
import { downsampleIndices, type SeriesValues } from '../../../../src/apps/webmacs/datapoints/downsample.ts';

function seriesOf(values: number[], start = 1_700_000_000_000_000, stepUs = 1_000_000): SeriesValues {
  return { length: values.length, ts: values.map((_, i) => start + i * stepUs), value: values };
}

const valuesArbitrary = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 12, maxLength: 400 });

describe('series downsampling (spec §3.7)', () => {
  it('returns every point when the series is not longer than max_points', () => {
    assert.deepEqual(downsampleIndices('stride', seriesOf([1, 2, 3]), 10), [0, 1, 2]);
    assert.deepEqual(downsampleIndices('lttb', seriesOf([1, 2, 3]), 3), [0, 1, 2]);
  });

  it('§12.47 stride keeps exactly max_points: p[floor(i·n/m)] for i < m−1, then the latest point', () => {
    fc.assert(
      fc.property(fc.integer({ min: 11, max: 5000 }), fc.integer({ min: 10, max: 2000 }), (n, m) => {
        fc.pre(n > m);
        const kept = downsampleIndices('stride', seriesOf(Array.from({ length: n }, (_, i) => i)), m);
        assert.equal(kept.length, m);
        for (let i = 0; i < m - 1; i++) assert.equal(kept[i], Math.floor(i * (n / m)));
        assert.equal(kept[m - 1], n - 1);
      }),
    );
  });

  it('§12.48 lttb keeps exactly max_points including both ends, identical to the downsample package', () => {
    fc.assert(
      fc.property(valuesArbitrary, fc.integer({ min: 10, max: 50 }), (values, m) => {
        fc.pre(values.length > m);
        const series = seriesOf(values);
        const kept = downsampleIndices('lttb', series, m);
        const reference = LTTB(values.map((v, i) => [series.ts[i], v] as [number, number]), m) as Array<[number, number]>;
        assert.equal(kept.length, m);
        assert.equal(kept[0], 0);
        assert.equal(kept[m - 1], values.length - 1);
        // the package derives its last index from summed float bucket sizes, which can fall one short
        // (26/23·23 < 26) and then reports p[n−2] as "last"; spec §3.7 keeps p[n−1], so compare the rest
        assert.deepEqual(kept.slice(0, -1).map((i) => [series.ts[i], values[i]]), reference.slice(0, -1));
      }),
    );
  });

  it('§12.48 minmax keeps at most max_points, ascending, with first, last and every bucket extreme', () => {
    fc.assert(
      fc.property(valuesArbitrary, fc.integer({ min: 10, max: 50 }), (values, m) => {
        fc.pre(values.length > m);
        const kept = downsampleIndices('minmax', seriesOf(values), m);
        assert.ok(kept.length <= m);
        assert.equal(kept[0], 0);
        assert.equal(kept.at(-1), values.length - 1);
        for (let i = 1; i < kept.length; i++) assert.ok(kept[i]! > kept[i - 1]!);
        const keptValues = new Set(kept.map((i) => values[i]!));
        const inner = values.slice(1, -1);
        assert.ok(keptValues.has(Math.min(...inner)));
        assert.ok(keptValues.has(Math.max(...inner)));
      }),
    );
  });

  it('minmax picks the first occurrence of a bucket extreme and one point for a flat bucket', () => {
    // n = 12, m = 10 → 4 buckets over the 10 inner points: sizes 2, 3, 2, 3
    const values = [0, 5, 5, 7, 7, 7, 1, 9, 3, 3, 3, 0];
    assert.deepEqual(downsampleIndices('minmax', seriesOf(values), 10), [0, 1, 3, 6, 7, 8, 11]);
  });
});
