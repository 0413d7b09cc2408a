/**
 * P8 (spec §9, a report): P1, P4 and P5 against local Postgres (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; each server gets a fresh database beside it).
 * Floors: ingest ≥ 10,000 dp/s (P1's offered 20,000 dp/s kept up with, or its stored rate), latest p95
 * < 20 ms, series p95 < 200 ms. BENCH_P4_ROWS / BENCH_P5_POINTS_PER_EVENT shorten the seeding.
 */
import { durations, loadAverage, report, setupLab, startServer } from './_support/harness.ts';
import { ingestOpenLoop, ingestVerdicts } from './p1-rest-ingest.ts';
import { measureLatest } from './p4-latest.ts';
import { measureSeries } from './p5-series.ts';

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const env = { DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' };
  const { measureS, warmupS } = durations(60);

  const server = await startServer(env);
  const lab = await setupLab(server.url, 50);
  const started = performance.now();
  const ingest = await ingestOpenLoop(server, lab, measureS, warmupS);
  const storedPerS = Math.round(ingest.stored_points / ((performance.now() - started) / 1000));
  await server.stop();

  const latest = await measureLatest(env, Number(process.env.BENCH_P4_ROWS ?? 10_000_000));
  const series = await measureSeries(env, Number(process.env.BENCH_P5_POINTS_PER_EVENT ?? 100_000));

  const ingestMet = ingest.errors === 0 && ingest.stored_points === ingest.sent_points && storedPerS >= 10_000;
  const met = ingestMet && latest.large_table.p95 < 20 && series.stride.cached.p95 < 200;
  report('webmacs/p8-postgres', { load_average_start: loadStart, ingest, ingest_stored_dp_per_s_including_warmup: storedPerS, latest, series }, [
    ...ingestVerdicts('P8 ingest (Postgres)', ingest),
    `P8 ingest: ${storedPerS.toLocaleString('en')} dp/s stored over warm-up and window (floor ≥ 10,000)`,
    `P8 latest: ${latest.rows.toLocaleString('en')} rows, p95 ${latest.large_table.p95} ms (floor < 20); 50-row table p95 ${latest.small_table.p95} ms`,
    `P8 series: stride p95 ${series.stride.cached.p95} ms (floor < 200; cache disabled ${series.stride.uncached.p95} ms), lttb ${series.lttb.cached.p95} ms, minmax ${series.minmax.cached.p95} ms`,
    `P8: ${met ? 'MET' : 'NOT MET'}`,
  ]);
}
