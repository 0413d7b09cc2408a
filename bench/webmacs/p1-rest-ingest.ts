/**
 * P1 (spec §9): REST ingest, 50 linked events, open loop 40 req/s × 500 points (20,000 dp/s) for 60 s
 * after a 10 s warm-up. Target: 0 errors, every point stored, batch p95 < 50 ms, p99 < 100 ms.
 */
import { batchBody, durations, latencySummary, loadAverage, openLoop, report, request, setupLab, startServer, storedCount, type Lab, type ServerHandle } from './_support/harness.ts';

const RATE_PER_S = 40;
const BATCH = 500;
const EVENTS = 50;

export interface IngestFigures {
  latency: ReturnType<typeof latencySummary>;
  errors: number;
  sent_points: number;
  stored_points: number;
  server_cpu_ms_per_batch: number;
  dp_per_s_offered: number;
}

/** Warm-up, then the measured open-loop window; every answer must be 201 with all 500 points accepted. */
export async function ingestOpenLoop(server: ServerHandle, lab: Lab, measureS: number, warmupS: number): Promise<IngestFigures> {
  let okPoints = 0;
  const send = async (index: number) => {
    const answer = await request(server.url, 'POST', '/api/v1/datapoints/batch', lab.token, batchBody(lab.events, BATCH, index * BATCH));
    if (answer.status !== 201 || (JSON.parse(answer.body) as { accepted: number }).accepted !== BATCH) throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
    okPoints += BATCH;
  };
  const before = await storedCount(server.url, lab.token);
  await openLoop(RATE_PER_S, warmupS, send);
  const cpuBefore = (await server.usage()).cpuMicros;
  const measured = await openLoop(RATE_PER_S, measureS, send);
  const cpuMs = ((await server.usage()).cpuMicros - cpuBefore) / 1000;
  return {
    latency: latencySummary(measured.latenciesMs),
    errors: measured.errors,
    sent_points: okPoints,
    stored_points: (await storedCount(server.url, lab.token)) - before,
    server_cpu_ms_per_batch: Math.round((cpuMs / measured.sent) * 100) / 100,
    dp_per_s_offered: RATE_PER_S * BATCH,
  };
}

export function ingestVerdicts(label: string, figures: IngestFigures): string[] {
  const { latency } = figures;
  return [
    `${label}: ${figures.dp_per_s_offered.toLocaleString('en')} dp/s offered (open loop ${RATE_PER_S} req/s × ${BATCH}); batch p50 ${latency.p50} ms, p95 ${latency.p95} ms (target < 50), p99 ${latency.p99} ms (target < 100), max ${latency.max} ms`,
    `${label}: errors ${figures.errors} (target 0); stored ${figures.stored_points.toLocaleString('en')} of ${figures.sent_points.toLocaleString('en')} accepted points; server CPU ${figures.server_cpu_ms_per_batch} ms per batch`,
    `${label}: ${latency.p95 < 50 && latency.p99 < 100 && figures.errors === 0 && figures.stored_points === figures.sent_points ? 'MET' : 'NOT MET'}`,
  ];
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const { measureS, warmupS } = durations(60);
  const server = await startServer();
  const lab = await setupLab(server.url, EVENTS);
  const figures = await ingestOpenLoop(server, lab, measureS, warmupS);
  await server.stop();
  report('webmacs/p1-rest-ingest', { load_average_start: loadStart, measure_s: measureS, warmup_s: warmupS, ...figures }, ingestVerdicts('P1', figures));
}
