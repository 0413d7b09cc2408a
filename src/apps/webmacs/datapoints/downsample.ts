/**
 * Series downsampling over one event's points ordered by (timestamp, id). Every function returns the
 * indices of the kept points, ascending, so results are always real stored rows (spec §3.7).
 */
export const DOWNSAMPLE_METHODS = ['stride', 'lttb', 'minmax'] as const;
export type DownsampleMethod = (typeof DOWNSAMPLE_METHODS)[number];

export interface SeriesValues {
  readonly length: number;
  /** x: timestamp in µs */
  readonly ts: ArrayLike<number>;
  readonly value: ArrayLike<number>;
}

export function downsampleIndices(method: DownsampleMethod, series: SeriesValues, maxPoints: number): number[] {
  const n = series.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  switch (method) {
    case 'stride':
      return strideIndices(n, maxPoints);
    case 'lttb':
      return lttbIndices(series, maxPoints);
    case 'minmax':
      return minmaxIndices(series, maxPoints);
  }
}

/** Upstream's uniform sampling, float step included, so the same rows come back as from WebMACS. */
export function strideIndices(n: number, maxPoints: number): number[] {
  const step = n / maxPoints;
  const kept: number[] = [];
  for (let i = 0; i < maxPoints - 1; i++) kept.push(Math.floor(i * step));
  kept.push(n - 1);
  return kept;
}

/**
 * The inner points p[1 … n−2] split into `buckets` runs, as the npm `downsample` package splits them:
 * bucket i covers inner offsets floor(i·s) … floor((i+1)·s) − 1, returned as absolute [start, end).
 */
function bucketBounds(n: number, buckets: number): Array<[number, number]> {
  const size = (n - 2) / buckets;
  const bounds: Array<[number, number]> = [];
  for (let i = 0; i < buckets; i++) bounds.push([1 + Math.floor(i * size), 1 + Math.floor((i + 1) * size)]);
  return bounds;
}

/** Steinarsson's Largest-Triangle-Three-Buckets; strict `>` keeps the first index on ties. */
export function lttbIndices(series: SeriesValues, maxPoints: number): number[] {
  const n = series.length;
  const { ts: x, value: y } = series;
  const bounds = bucketBounds(n, maxPoints - 2);
  const kept = [0];
  let previous = 0;
  for (let b = 0; b < bounds.length; b++) {
    const [nextStart, nextEnd] = bounds[b + 1] ?? [n - 1, n];
    let averageX = 0;
    let averageY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      averageX += x[j]!;
      averageY += y[j]!;
    }
    averageX /= nextEnd - nextStart;
    averageY /= nextEnd - nextStart;
    const [start, end] = bounds[b]!;
    const previousX = x[previous]!;
    const previousY = y[previous]!;
    let maxArea = -1;
    let chosen = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((previousX - averageX) * (y[j]! - previousY) - (previousX - x[j]!) * (averageY - previousY)) / 2;
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    kept.push(chosen);
    previous = chosen;
  }
  kept.push(n - 1);
  return kept;
}

/** Each bucket keeps the first occurrence of its minimum and of its maximum; ends always kept. */
export function minmaxIndices(series: SeriesValues, maxPoints: number): number[] {
  const n = series.length;
  const y = series.value;
  const kept = [0];
  const bounds = bucketBounds(n, Math.floor(maxPoints / 2) - 1);
  // (n−2)/b·b can round to just under n−2 (31/11·11 = 30.999…), which would drop the last inner point
  // from every bucket; the last bucket always runs to the last inner point.
  bounds[bounds.length - 1]![1] = n - 1;
  for (const [start, end] of bounds) {
    if (start >= end) continue;
    let low = start;
    let high = start;
    for (let j = start + 1; j < end; j++) {
      if (y[j]! < y[low]!) low = j;
      if (y[j]! > y[high]!) high = j;
    }
    if (low === high) kept.push(low);
    else kept.push(Math.min(low, high), Math.max(low, high));
  }
  kept.push(n - 1);
  return kept;
}
