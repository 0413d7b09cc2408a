/**
 * P2 (spec §9): REST ingest saturation — 8 connections in closed loop, 500-point batches, 60 s after a
 * 10 s warm-up. Target ≥ 20,000 dp/s and ≥ 0.5 × R_raw, R_raw measured in the same run (raw-insert.ts).
 */
import { batchBody, closedLoop, durations, latencySummary, loadAverage, report, request, setupLab, startServer, storedCount } from './_support/harness.ts';
import { measureRawInsert } from './raw-insert.ts';

const CONNECTIONS = 8;
const BATCH = 500;
const EVENTS = 50;

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const { measureS, warmupS } = durations(60);
  const raw = await measureRawInsert();
  const server = await startServer();
  const lab = await setupLab(server.url, EVENTS);
  let sequence = 0;
  const send = async () => {
    const answer = await request(server.url, 'POST', '/api/v1/datapoints/batch', lab.token, batchBody(lab.events, BATCH, sequence++ * BATCH));
    if (answer.status !== 201) throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
  };
  await closedLoop(CONNECTIONS, warmupS, send);
  const before = await storedCount(server.url, lab.token);
  const cpuBefore = (await server.usage()).cpuMicros;
  const measured = await closedLoop(CONNECTIONS, measureS, send);
  const cpuMs = ((await server.usage()).cpuMicros - cpuBefore) / 1000;
  const stored = (await storedCount(server.url, lab.token)) - before;
  await server.stop();
  const dpPerS = Math.round((measured.completed * BATCH) / measured.elapsedS);
  const ratio = Math.round((dpPerS / raw.rowsPerS) * 100) / 100;
  const latency = latencySummary(measured.latenciesMs);
  report(
    'webmacs/p2-rest-saturation',
    {
      load_average_start: loadStart,
      measure_s: measureS,
      warmup_s: warmupS,
      dp_per_s: dpPerS,
      r_raw_rows_per_s: raw.rowsPerS,
      ratio_to_r_raw: ratio,
      errors: measured.errors,
      stored_points: stored,
      batch_latency: latency,
      server_cpu_ms_per_batch: Math.round((cpuMs / measured.completed) * 100) / 100,
    },
    [
      `P2: ${dpPerS.toLocaleString('en')} dp/s with ${CONNECTIONS} closed-loop connections (target ≥ 20,000); R_raw ${raw.rowsPerS.toLocaleString('en')} rows/s, ratio ${ratio} (target ≥ 0.5); errors ${measured.errors}; batch p95 ${latency.p95} ms`,
      `P2: ${dpPerS >= 20_000 && ratio >= 0.5 && measured.errors === 0 ? 'MET' : 'NOT MET'}`,
    ],
  );
}
