/**
 * P4 (spec §9): `GET /datapoints/latest` over 50 events with 10,000,000 stored rows while 1,000 dp/s
 * are ingested in the background, 2,000 requests one after another. Target p95 < 10 ms and ≤ 2 × the
 * p95 of the same request on a 50-row table (same run). BENCH_P4_ROWS shortens the seeding.
 */
import { batchBody, existingLab, latencySummary, loadAverage, openLoop, report, request, setupLab, startServer, type Lab, type ServerHandle } from './_support/harness.ts';
import { seedDatapoints } from './_support/seed.ts';

const EVENTS = 50;
const REQUESTS = 2000;
const DAY_US = 86_400_000_000;
/** 1,000 dp/s as 10 batches of 100 per second */
const BACKGROUND_BATCHES_PER_S = 10;
const BACKGROUND_BATCH = 100;

async function latestLatencies(server: ServerHandle, lab: Lab, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await request(server.url, 'GET', '/api/v1/datapoints/latest', lab.token);
    if (answer.status !== 200) throw new Error(`latest → ${answer.status}`);
    samples.push(performance.now() - started);
  }
  return samples;
}

export interface LatestFigures {
  rows: number;
  seed_seconds: number;
  small_table: ReturnType<typeof latencySummary>;
  large_table: ReturnType<typeof latencySummary>;
  ratio_to_small_p95: number;
  background_dp_per_s: number;
  background_errors: number;
}

/** `env` selects the database (P8 passes DATABASE_URL). */
export async function measureLatest(env: Record<string, string>, rows: number): Promise<LatestFigures> {
  const small = await startServer(env);
  const smallLab = await setupLab(small.url, EVENTS);
  await request(small.url, 'POST', '/api/v1/datapoints/batch', smallLab.token, batchBody(smallLab.events, EVENTS));
  await latestLatencies(small, smallLab, 200);
  const smallTable = latencySummary(await latestLatencies(small, smallLab, REQUESTS));
  await small.stop();

  const seeding = await startServer(env);
  await setupLab(seeding.url, EVENTS);
  await seeding.stop();
  const seeded = await seedDatapoints(seeding, { rows, spanUs: 7 * DAY_US, eventPrefix: 'Bench' });
  const server = await startServer({}, seeding);
  const lab = await existingLab(server);
  await latestLatencies(server, lab, 200);
  let stop = false;
  let backgroundErrors = 0;
  const background = (async () => {
    while (!stop) {
      const { errors } = await openLoop(BACKGROUND_BATCHES_PER_S, 1, (i) =>
        request(server.url, 'POST', '/api/v1/datapoints/batch', lab.token, batchBody(lab.events, BACKGROUND_BATCH, i * BACKGROUND_BATCH)).then((a) => {
          if (a.status !== 201) throw new Error(String(a.status));
        }),
      );
      backgroundErrors += errors;
    }
  })();
  const largeTable = latencySummary(await latestLatencies(server, lab, REQUESTS));
  stop = true;
  await background;
  await server.stop();
  return {
    rows,
    seed_seconds: seeded.seconds,
    small_table: smallTable,
    large_table: largeTable,
    ratio_to_small_p95: Math.round((largeTable.p95 / smallTable.p95) * 100) / 100,
    background_dp_per_s: BACKGROUND_BATCHES_PER_S * BACKGROUND_BATCH,
    background_errors: backgroundErrors,
  };
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const rows = Number(process.env.BENCH_P4_ROWS ?? 10_000_000);
  const figures = await measureLatest({}, rows);
  const met = figures.large_table.p95 < 10 && figures.ratio_to_small_p95 <= 2;
  report('webmacs/p4-latest', { load_average_start: loadStart, ...figures }, [
    `P4: ${rows.toLocaleString('en')} rows (seeded in ${figures.seed_seconds} s), ${figures.background_dp_per_s} dp/s background ingest: latest p50 ${figures.large_table.p50} ms, p95 ${figures.large_table.p95} ms (target < 10), p99 ${figures.large_table.p99} ms`,
    `P4: 50-row table p95 ${figures.small_table.p95} ms; ratio ${figures.ratio_to_small_p95} (target ≤ 2); background errors ${figures.background_errors}`,
    `P4: ${met ? 'MET' : 'NOT MET'}`,
  ]);
}
