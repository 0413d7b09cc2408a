/**
 * B4 (spec §9): paged search at 50,000 PVs (3 tag groups, 40 tags, 2 tags per PV), autocannon with 10
 * connections for 20 s against a squirrel server in its own process. The request mix: no filter; substring
 * terms of 3–12 characters with 1 to 10,000 hits; tagFilters over 2 groups; a term plus filters; each at
 * cursor depths 0, 10 and 100 pages (the deepest page a query has, when it has fewer). Target: p95 < 20 ms,
 * p99 < 50 ms, 0 errors. Latencies are every response's own time, so p95 is exact (autocannon's summary
 * has no p95). As spec §9 asks, the figures are the medians of 5 runs after 1 warm-up run (each figure
 * its own median; every run's are printed too). `B4_PVS`, `B4_DURATION_S` and `B4_RUNS` scale it.
 * Server cost is given as CPU of the whole process and as its main thread's busy time: SQLite reader
 * threads (core/db/sqliteReaders.ts) take costly reads off the main thread, which serves every request.
 * Also printed: each request alone (both costs, slowest first), and the unfiltered pages against the
 * machine's floor for them (bare Fastify with hand-written SQLite reads of the same database), which
 * tells this machine's speed apart from burrow's cost.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import { recordResult } from '../_support/results.ts';
import { loadAverage, median } from './_support/iocProcess.ts';
import { spawnBenchProcess, spawnSquirrelServer, type SquirrelProcess } from './_support/squirrelServer.ts';
import type { ProcessUsage } from '../_support/usage.ts';

const PVS = Number(process.env.B4_PVS ?? 50_000);
const DURATION_S = Number(process.env.B4_DURATION_S ?? 20);
const RUNS = Number(process.env.B4_RUNS ?? 5);
const CONNECTIONS = 10;
const PAGE = 100;
const DEPTHS = [0, 10, 100];
const GROUPS = [
  { name: 'Area', tags: 14 },
  { name: 'Subsystem', tags: 13 },
  { name: 'Beamline', tags: 13 },
];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
/** chosen for hit counts spread from 1 to 10,000 at 50,000 PVs (printed with the results) */
const TERMS = ['12345:sp', 'dev0421', '4321', 'x:001', 'x:01', 'sec13:x', 'gamma'];

interface Pv {
  setpoint_address: string;
  readback_address: string;
  device: string;
  description: string;
  groups: [number, number];
}

const pad = (i: number) => String(i).padStart(5, '0');

/** PV i: sector i % 20, a word i % 5, and one tag from each of two of the three groups (pair i % 3). */
function pvAt(i: number): Pv {
  const pair: [number, number] = ([[0, 1], [1, 2], [0, 2]] as const)[i % 3]!.slice() as [number, number];
  return {
    setpoint_address: `B4:SEC${String(i % 20).padStart(2, '0')}:X:${pad(i)}:SP`,
    readback_address: `B4:SEC${String(i % 20).padStart(2, '0')}:X:${pad(i)}:RB`,
    device: `DEV${pad(i)}`,
    description: `${WORDS[i % 5]} magnet ${i % 7}`,
    groups: pair,
  };
}

const tagIndex = (i: number, group: number) => (i * (group + 3) + group) % GROUPS[group]!.tags;

function matches(pv: Pv, term: string): boolean {
  return [pv.setpoint_address, pv.readback_address, pv.device, pv.description].some((f) => f.toLowerCase().includes(term));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

/**
 * CONNECTIONS closed-loop clients cycling through `paths` for `durationS`: autocannon's result, and every
 * response's own time, sorted (autocannon's summary has no p95).
 */
async function closedLoop(url: string, paths: readonly string[], apiKey: string, durationS: number): Promise<{ result: autocannon.Result; latencies: number[] }> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections: CONNECTIONS, duration: durationS, headers: { 'x-api-key': apiKey }, requests: paths.map((path) => ({ method: 'GET', path })) },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  return { result, latencies: latencies.sort((a, b) => a - b) };
}

interface LoadRun {
  requests: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  server_cpu_ms_per_request: number;
  server_main_thread_ms_per_request: number;
}

/** One DURATION_S closed-loop run of the mix: its latencies, errors and the server's cost per request. */
async function loadRun(server: SquirrelProcess, mix: readonly string[]): Promise<LoadRun> {
  const usageBefore = await server.usage();
  const { result, latencies } = await closedLoop(server.url, mix, server.adminKey, DURATION_S);
  const { cpuMs, mainMs } = perRequest(usageBefore, await server.usage(), Math.max(1, latencies.length));
  const ms = (value: number) => Math.round(value * 100) / 100;
  return {
    requests: latencies.length,
    rps: Math.round(result.requests.average),
    p50_ms: ms(percentile(latencies, 50)),
    p95_ms: ms(percentile(latencies, 95)),
    p99_ms: ms(percentile(latencies, 99)),
    max_ms: ms(latencies.at(-1) ?? NaN),
    errors: result.errors + result.non2xx + result.timeouts,
    server_cpu_ms_per_request: cpuMs,
    server_main_thread_ms_per_request: mainMs,
  };
}

const SOLO_REPEATS = 15;

/** per request, ms: the server's CPU (every thread) and its main thread's busy time, from two usage readings */
function perRequest(before: ProcessUsage, after: ProcessUsage, requests: number): { cpuMs: number; mainMs: number } {
  const ms = (micros: number) => Math.round(micros / requests) / 1000;
  return { cpuMs: ms(after.cpuMicros - before.cpuMicros), mainMs: ms(after.mainMicros - before.mainMicros) };
}

/**
 * Each distinct request of the mix alone, one at a time: the server CPU it costs and its main thread's
 * share (medians), slowest first. This names the request kinds that set the tail, which the mixed run
 * cannot.
 */
async function slowestRequests(server: SquirrelProcess, mix: readonly string[]): Promise<{ path: string; cpu_ms: number; main_ms: number }[]> {
  const costs: { path: string; cpu_ms: number; main_ms: number }[] = [];
  const median = (samples: number[]) => Math.round(percentile(samples.sort((a, b) => a - b), 50) * 100) / 100;
  for (const path of mix) {
    const cpu: number[] = [];
    const main: number[] = [];
    for (let i = 0; i < SOLO_REPEATS; i++) {
      const before = await server.usage();
      const res = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': server.adminKey } });
      await res.arrayBuffer();
      const { cpuMs, mainMs } = perRequest(before, await server.usage(), 1);
      cpu.push(cpuMs);
      main.push(mainMs);
    }
    costs.push({ path: decodeURIComponent(path), cpu_ms: median(cpu), main_ms: median(main) });
  }
  return costs.sort((a, b) => b.cpu_ms - a.cpu_ms);
}

const FLOOR_DURATION_S = Number(process.env.B4_FLOOR_DURATION_S ?? 4);
/** burrow and the floor take turns, and each one's median run counts: this machine's speed drifts within minutes */
const FLOOR_ROUNDS = 3;

/**
 * The unfiltered pages of the mix, on burrow and on the bare floor (barePageServer.ts: plain Fastify and
 * hand-written better-sqlite3 reads of the same database), each under the same closed-loop load: server
 * CPU per request. Their ratio is what burrow's stack costs over the machine's floor for the same page;
 * it compares across machines and days where absolute milliseconds do not.
 */
async function unfilteredAgainstFloor(server: SquirrelProcess, mix: readonly string[]): Promise<{ burrow_cpu_ms: number; burrow_p95_ms: number; floor_cpu_ms: number; floor_p95_ms: number; ratio: number }> {
  const unfiltered = mix.map((path) => new URLSearchParams(path.split('?')[1])).filter((params) => !params.has('query') && !params.has('tagFilters'));
  const bare = await spawnBenchProcess<{ url: string }>(new URL('./_support/barePageServer.ts', import.meta.url), [join(server.dataDir, 'squirrel.db')]);
  const measure = async (target: { usage(): Promise<ProcessUsage> }, url: string, paths: string[]) => {
    const before = await target.usage();
    const { result, latencies } = await closedLoop(url, paths, server.adminKey, FLOOR_DURATION_S);
    if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    const { cpuMs } = perRequest(before, await target.usage(), result.requests.total);
    return { cpuMs, p95Ms: Math.round(percentile(latencies, 95) * 10) / 10 };
  };
  const burrowPaths = unfiltered.map((params) => `/v1/pvs/paged?${params}`);
  const barePaths = unfiltered.map((params) => {
    const cursor = params.get('cursor');
    const after = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after: string }).after : '';
    return `/page?limit=${params.get('limit')}&after=${after}`;
  });
  try {
    // the floor must do the same work: its pages are burrow's, byte for byte
    for (const [i, path] of burrowPaths.entries()) {
      const [ours, floor] = await Promise.all(
        [`${server.url}${path}`, `${bare.info.url}${barePaths[i]}`].map(async (url) => (await fetch(url, { headers: { 'x-api-key': server.adminKey } })).text()),
      );
      if (ours !== floor) throw new Error(`the floor's page differs from burrow's for ${path}`);
    }
    const runs: { ours: Awaited<ReturnType<typeof measure>>[]; floor: Awaited<ReturnType<typeof measure>>[] } = { ours: [], floor: [] };
    for (let round = 0; round <= FLOOR_ROUNDS; round++) {
      // round 0 warms both up and is not counted
      const ours = await measure(server, server.url, burrowPaths);
      const floor = await measure(bare, bare.info.url, barePaths);
      if (round === 0) continue;
      runs.ours.push(ours);
      runs.floor.push(floor);
    }
    const median = (measured: { cpuMs: number; p95Ms: number }[]) => measured.sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(measured.length / 2)]!;
    const ours = median(runs.ours);
    const floor = median(runs.floor);
    return { burrow_cpu_ms: ours.cpuMs, burrow_p95_ms: ours.p95Ms, floor_cpu_ms: floor.cpuMs, floor_p95_ms: floor.p95Ms, ratio: Math.round((ours.cpuMs / floor.cpuMs) * 100) / 100 };
  } finally {
    await bare.stop();
  }
}

export async function run(): Promise<void> {
  const server = await spawnSquirrelServer({ SQUIRREL_MONITOR_ENABLED: 'false', BURROW_LOG_LEVEL: 'silent' });
  const headers = { 'x-api-key': server.adminKey, 'content-type': 'application/json' };
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return res.json();
  };
  try {
    const tagIds: string[][] = [];
    const groupIds: string[] = [];
    for (const group of GROUPS) {
      const created = (await api('POST', '/v1/tags', { name: group.name, tags: Array.from({ length: group.tags }, (_, t) => ({ name: `${group.name}-${t}` })) })) as {
        id: string;
        tags: { id: string; name: string }[];
      };
      groupIds.push(created.id);
      tagIds.push(Array.from({ length: group.tags }, (_, t) => created.tags.find((tag) => tag.name === `${group.name}-${t}`)!.id));
    }
    const pvs = Array.from({ length: PVS }, (_, i) => pvAt(i));
    const seedStarted = performance.now();
    await api(
      'POST',
      '/v1/pvs/multi',
      pvs.map((pv, i) => ({
        setpoint_address: pv.setpoint_address,
        readback_address: pv.readback_address,
        device: pv.device,
        description: pv.description,
        tag_ids: pv.groups.map((g) => tagIds[g]![tagIndex(i, g)]),
      })),
    );
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const filters = [
      { [groupIds[0]!]: tagIds[0]!.slice(0, 3), [groupIds[1]!]: tagIds[1]!.slice(0, 2) },
      { [groupIds[1]!]: tagIds[1]!.slice(0, 6), [groupIds[2]!]: tagIds[2]!.slice(0, 6) },
    ];
    const queries: Record<string, string>[] = [
      {},
      ...TERMS.map((query) => ({ query })),
      ...filters.map((f) => ({ tagFilters: JSON.stringify(f) })),
      { query: 'gamma', tagFilters: JSON.stringify(filters[1]) },
      { query: 'sec13:x', tagFilters: JSON.stringify(filters[0]) },
    ];
    const hits = Object.fromEntries(TERMS.map((term) => [term, pvs.filter((pv) => matches(pv, term)).length]));

    // Walk each query to its deepest wanted page once, keeping the cursors of the depths in the mix.
    const paths: string[] = [];
    for (const query of queries) {
      let cursor: string | null = null;
      for (let page = 0; page <= Math.max(...DEPTHS); page++) {
        const params = new URLSearchParams({ ...query, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
        const path = `/v1/pvs/paged?${params}`;
        const result = (await api('GET', path)) as { next_cursor: string | null; has_more: boolean };
        if (DEPTHS.includes(page) || !result.has_more) paths.push(path);
        if (!result.has_more) break;
        cursor = result.next_cursor;
      }
    }
    const mix = [...new Set(paths)];

    const loadBefore = loadAverage();
    const runs: LoadRun[] = [];
    for (let round = 0; round <= RUNS; round++) {
      const measured = await loadRun(server, mix);
      // round 0 is the warm-up
      if (round === 0) continue;
      runs.push(measured);
      process.stdout.write(`run ${round}/${RUNS}: ${JSON.stringify(measured)}\n`);
    }
    const medianOf = (pick: (run: LoadRun) => number) => Math.round(median(runs.map(pick)) * 1000) / 1000;
    const p95 = medianOf((run) => run.p95_ms);
    const p99 = medianOf((run) => run.p99_ms);
    const errors = runs.reduce((sum, run) => sum + run.errors, 0);
    const figures = {
      scenario: 'B4 paged search',
      pvs: PVS,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      runs: RUNS,
      distinct_requests: mix.length,
      term_hits: hits,
      requests: runs.reduce((sum, run) => sum + run.requests, 0),
      rps: medianOf((run) => run.rps),
      p50_ms: medianOf((run) => run.p50_ms),
      p95_ms: p95,
      p99_ms: p99,
      max_ms: Math.max(...runs.map((run) => run.max_ms)),
      errors,
      p95_ms_of_runs: runs.map((run) => run.p95_ms),
      server_cpu_ms_per_request: medianOf((run) => run.server_cpu_ms_per_request),
      server_main_thread_ms_per_request: medianOf((run) => run.server_main_thread_ms_per_request),
      seed_50k_pvs_s: Math.round(seedSeconds * 100) / 100,
      limits: { p95_ms: 20, p99_ms: 50, errors: 0 },
      load_average: { before: loadBefore, after: loadAverage() },
      pass: p95 < 20 && p99 < 50 && errors === 0,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    const slowest = await slowestRequests(server, mix);
    process.stdout.write(
      `slowest requests alone (server CPU ms / main thread ms, medians of ${SOLO_REPEATS}):\n${slowest.map((r) => `  ${r.cpu_ms.toFixed(2)} / ${r.main_ms.toFixed(2)}  ${r.path}`).join('\n')}\n`,
    );
    const floor = await unfilteredAgainstFloor(server, mix);
    process.stdout.write(
      `unfiltered pages under the same load: burrow ${floor.burrow_cpu_ms} ms CPU/request (p95 ${floor.burrow_p95_ms} ms), ` +
        `the floor — bare Fastify + hand-written SQLite reads — ${floor.floor_cpu_ms} ms (p95 ${floor.floor_p95_ms} ms): ${floor.ratio}×; ` +
        `the mix averaged ${figures.server_cpu_ms_per_request} ms (${Math.round((figures.server_cpu_ms_per_request / floor.floor_cpu_ms) * 100) / 100}× the floor)\n`,
    );
    recordResult('squirrel/b4-search', [JSON.stringify({ ...figures, unfiltered_against_floor: floor, slowest: slowest.slice(0, 5) })]);
  } finally {
    await server.stop();
  }
}
