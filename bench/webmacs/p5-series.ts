/**
 * P5 (spec §9): `POST /datapoints/series` over 20 events × 100,000 points in the last 24 h,
 * minutes=1440, max_points=2000; per method 200 requests after one warm-up. Targets: stride p95 <
 * 150 ms, lttb/minmax p95 < 250 ms; with the series cache p95 ≤ 0.2 × the p95 with the cache disabled
 * (WEBMACS_SERIES_CACHE_MAX_POINTS=0), both measured in the same run on the same data.
 * BENCH_P5_POINTS_PER_EVENT shortens the seeding.
 */
import { existingLab, latencySummary, loadAverage, report, request, setupLab, startServer, type ServerHandle } from './_support/harness.ts';
import { seedDatapoints } from './_support/seed.ts';

const EVENTS = 20;
const REQUESTS = 200;
/**
 * The cache-disabled baseline reads every row per request; on a loaded machine 200 of them per method
 * would take many minutes, so its p95 comes from fewer requests (BENCH_P5_UNCACHED_REQUESTS).
 */
const UNCACHED_REQUESTS = Number(process.env.BENCH_P5_UNCACHED_REQUESTS ?? 20);
const METHODS = ['stride', 'lttb', 'minmax'] as const;
const DAY_US = 86_400_000_000;
/** the window ends a little before now, so the whole seeded day lies inside `minutes=1440` */
const SPAN_US = DAY_US - 600_000_000;

type Method = (typeof METHODS)[number];

async function seriesLatencies(server: ServerHandle, method: Method, requests: number): Promise<{ latency: ReturnType<typeof latencySummary>; points: number }> {
  const lab = await existingLab(server);
  const body = JSON.stringify({ event_public_ids: lab.events, minutes: 1440, max_points: 2000, method });
  const once = async () => {
    const answer = await request(server.url, 'POST', '/api/v1/datapoints/series', lab.token, body);
    if (answer.status !== 200) throw new Error(`series → ${answer.status} ${answer.body.slice(0, 200)}`);
    return answer.body;
  };
  const warm = JSON.parse(await once()) as Record<string, unknown[]>;
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await once();
    samples.push(performance.now() - started);
  }
  return { latency: latencySummary(samples), points: Object.values(warm).reduce((sum, list) => sum + list.length, 0) };
}

export type SeriesFigures = Record<Method, { cached: ReturnType<typeof latencySummary>; uncached: ReturnType<typeof latencySummary>; ratio: number; points_returned: number }> & {
  rows: number;
  seed_seconds: number;
};

/** `env` selects the database (P8 passes DATABASE_URL). */
export async function measureSeries(env: Record<string, string>, pointsPerEvent: number): Promise<SeriesFigures> {
  const progress = (text: string) => process.stderr.write(`P5: ${text}\n`);
  progress('seeding');
  const seeding = await startServer(env);
  await setupLab(seeding.url, EVENTS, 'Series');
  await seeding.stop();
  const seeded = await seedDatapoints(seeding, { rows: EVENTS * pointsPerEvent, spanUs: SPAN_US, eventPrefix: 'Series' });
  const figures = { rows: EVENTS * pointsPerEvent, seed_seconds: seeded.seconds } as SeriesFigures;
  progress(`seeded in ${seeded.seconds} s; measuring with the cache disabled`);
  const uncachedServer = await startServer({ WEBMACS_SERIES_CACHE_MAX_POINTS: '0' }, seeding);
  const uncached = new Map<Method, Awaited<ReturnType<typeof seriesLatencies>>>();
  for (const method of METHODS) uncached.set(method, await seriesLatencies(uncachedServer, method, UNCACHED_REQUESTS));
  await uncachedServer.stop();
  progress('measuring with the cache');
  const cachedServer = await startServer({}, seeding);
  for (const method of METHODS) {
    const cached = await seriesLatencies(cachedServer, method, REQUESTS);
    const without = uncached.get(method)!;
    figures[method] = { cached: cached.latency, uncached: without.latency, ratio: Math.round((cached.latency.p95 / without.latency.p95) * 100) / 100, points_returned: cached.points };
  }
  await cachedServer.stop();
  return figures;
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const figures = await measureSeries({}, Number(process.env.BENCH_P5_POINTS_PER_EVENT ?? 100_000));
  const limit = (method: Method) => (method === 'stride' ? 150 : 250);
  const verdicts = METHODS.map(
    (method) =>
      `P5 ${method}: cached p50 ${figures[method].cached.p50} ms, p95 ${figures[method].cached.p95} ms (target < ${limit(method)}); cache disabled p95 ${figures[method].uncached.p95} ms; ratio ${figures[method].ratio} (target ≤ 0.2); ${figures[method].points_returned} points per answer`,
  );
  const met = METHODS.every((method) => figures[method].cached.p95 < limit(method) && figures[method].ratio <= 0.2);
  report('webmacs/p5-series', { load_average_start: loadStart, ...figures }, [
    `P5: ${figures.rows.toLocaleString('en')} rows (20 events, last 24 h, seeded in ${figures.seed_seconds} s), minutes=1440, max_points=2000, ${REQUESTS} requests per method after one warm-up (${UNCACHED_REQUESTS} with the cache disabled)`,
    ...verdicts,
    `P5: ${met ? 'MET' : 'NOT MET'}`,
  ]);
}
