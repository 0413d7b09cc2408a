/*
 * Postgres datapoints are range-partitioned by `ts` (spec §7, D32): `datapoints_p<yyyymmdd>` of one
 * interval each plus `datapoints_default`. Intervals start at UTC midnight; weeks on Monday; months on the 1st.
 */

export type PartitionInterval = 'day' | 'week' | 'month';

export interface PartitionRange {
  name: string;
  /** inclusive, microseconds */
  from: number;
  /** exclusive, microseconds */
  to: number;
}

const DAY_MS = 86_400_000;

function startOf(interval: PartitionInterval, ms: number): Date {
  const day = new Date(Math.floor(ms / DAY_MS) * DAY_MS);
  if (interval === 'day') return day;
  if (interval === 'week') return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
}

function next(interval: PartitionInterval, start: Date): Date {
  if (interval === 'day') return new Date(start.getTime() + DAY_MS);
  if (interval === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** The partition holding `atMicros` and the `count − 1` after it. */
export function partitionRanges(interval: PartitionInterval, atMicros: number, count: number): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  let start = startOf(interval, Math.floor(atMicros / 1000));
  for (let i = 0; i < count; i++) {
    const end = next(interval, start);
    const name = `datapoints_p${start.toISOString().slice(0, 10).replace(/-/g, '')}`;
    ranges.push({ name, from: start.getTime() * 1000, to: end.getTime() * 1000 });
    start = end;
  }
  return ranges;
}
