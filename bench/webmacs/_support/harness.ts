/**
 * What the webmacs scenarios (spec §9) share: a server in a child process on a fresh data directory,
 * an HTTP client with keep-alive, lab setup through the public API (linked events), percentiles, and
 * the JSON summary every scenario prints and records (always with the load average: the machine is
 * shared, so figures taken on it are noisy).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import pg from 'pg';
import { recordResult } from '../../_support/results.ts';
import type { ProcessUsage } from '../../_support/usage.ts';

export const ADMIN_EMAIL = 'admin@webmacs.io';
const ADMIN_PASSWORD = 'bench-admin-password-1';

/** Spec §9 durations, shortened together by BENCH_DURATION_S (the measured window; warm-up scales with it). */
export function durations(specMeasureS: number, specWarmupS = 10): { measureS: number; warmupS: number } {
  const override = process.env.BENCH_DURATION_S;
  if (!override) return { measureS: specMeasureS, warmupS: specWarmupS };
  const measureS = Number(override);
  return { measureS, warmupS: Math.min(specWarmupS, Math.max(2, Math.round(measureS / 6))) };
}

export interface ServerHandle {
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** the server process's resource use so far */
  usage(): Promise<ProcessUsage>;
  stop(): Promise<void>;
}

/**
 * Starts a server on a fresh data directory, or on an earlier one's data (`reuse`, with its
 * environment, overridden by `env`). With DATABASE_URL in `env` (P8) webmacs lives in schema `webmacs`.
 */
export async function startServer(env: Record<string, string> = {}, reuse?: { dataDir: string; env: NodeJS.ProcessEnv }): Promise<ServerHandle> {
  const dataDir = reuse?.dataDir ?? createDataDir();
  if (env.DATABASE_URL && !reuse) env = { ...env, DATABASE_URL: await freshPostgresDatabase(env.DATABASE_URL, path.basename(dataDir)) };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    BURROW_DATA_DIR: dataDir,
    BURROW_PORT: '0',
    BURROW_LOG_LEVEL: 'silent',
    BURROW_APPS: 'webmacs',
    WEBMACS_INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    WEBMACS_ARGON2_MEMORY_KIB: '1024',
    WEBMACS_ARGON2_TIME_COST: '1',
    WEBMACS_CONTROLLER: 'false',
    WEBMACS_AUTO_SEED: 'false',
    WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true',
    ...reuse?.env,
    ...env,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', new URL('./server.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: childEnv,
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const exited = once(child, 'exit');
  const [first] = (await Promise.race([once(lines, 'line'), exited.then(() => Promise.reject(new Error('bench server exited during start')))])) as [string];
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    dataDir,
    env: childEnv,
    async usage() {
      child.stdin!.write('usage\n');
      const [line] = (await once(lines, 'line')) as [string];
      return JSON.parse(line) as ProcessUsage;
    },
    async stop() {
      child.stdin!.write('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A new, empty database beside the one `url` names, so every fresh server starts from nothing. */
async function freshPostgresDatabase(url: string, suffix: string): Promise<string> {
  const name = `burrow_bench_${suffix.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}

// A scenario's servers may hand their data to the next one (seed, then measure), so every data
// directory lives until the bench process ends; each holds up to a few hundred MB of datapoints.
const dataDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function createDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-bench-webmacs-'));
  dataDirs.add(dir);
  return dir;
}

export function removeDataDir(server: ServerHandle): void {
  fs.rmSync(server.dataDir, { recursive: true, force: true });
  dataDirs.delete(server.dataDir);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpAnswer {
  status: number;
  body: string;
}

export function request(base: string, method: string, urlPath: string, token: string | undefined, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const outgoing = http.request(`${base}${urlPath}`, { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function json<T>(base: string, method: string, urlPath: string, token: string | undefined, payload?: unknown): Promise<T> {
  const answer = await request(base, method, urlPath, token, payload === undefined ? undefined : JSON.stringify(payload));
  if (answer.status >= 300) throw new Error(`${method} ${urlPath} → ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as T;
}

export interface Lab {
  token: string;
  events: string[];
}

/** Logs in as the seeded admin and creates `count` events, each linked through a channel mapping of one enabled instance. */
export async function setupLab(base: string, count: number, prefix = 'Bench'): Promise<Lab> {
  const { access_token: token } = await json<{ access_token: string }>(base, 'POST', '/api/v1/auth/login', undefined, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const instance = await json<{ public_id: string }>(base, 'POST', '/api/v1/plugins', token, { plugin_id: 'bench-device', instance_name: `${prefix} device`, auto_create_events: false });
  const events: string[] = [];
  for (let i = 0; i < count; i++) {
    const event = await json<{ public_id: string }>(base, 'POST', '/api/v1/events', token, { name: `${prefix} ${i}`, type: 'sensor', unit: 'u', min_value: 0, max_value: 1000 });
    await json(base, 'POST', `/api/v1/plugins/${instance.public_id}/channels`, token, {
      channel_id: `ch${i}`,
      channel_name: `Channel ${i}`,
      direction: 'input',
      unit: 'u',
      event_public_id: event.public_id,
    });
    events.push(event.public_id);
  }
  return { token, events };
}

/** The lab a restarted server already holds: a fresh admin token and its events in creation order. */
export async function existingLab(server: ServerHandle): Promise<Lab> {
  const { access_token: token } = await json<{ access_token: string }>(server.url, 'POST', '/api/v1/auth/login', undefined, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const { data } = await json<{ data: Array<{ public_id: string }> }>(server.url, 'GET', '/api/v1/events?page_size=100', token);
  return { token, events: data.map((event) => event.public_id) };
}

export async function storedCount(base: string, token: string): Promise<number> {
  return (await json<{ total: number }>(base, 'GET', '/api/v1/datapoints?page_size=1', token)).total;
}

export { json as requestJson };

/** A batch body of `size` points spread over `events`, all at the current time. */
export function batchBody(events: readonly string[], size: number, offset = 0): string {
  const datapoints = new Array(size);
  for (let i = 0; i < size; i++) datapoints[i] = { value: Math.round(Math.random() * 100_000) / 100, event_public_id: events[(offset + i) % events.length] };
  return JSON.stringify({ datapoints });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function latencySummary(samplesMs: number[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

/** Prints the scenario's JSON summary and replaces its section in bench/RESULTS.md. */
export function report(scenario: string, summary: Record<string, unknown>, verdicts: string[]): void {
  const full = { scenario, ...summary, load_average_end: loadAverage(), cores: os.cpus().length };
  process.stdout.write(`${verdicts.join('\n')}\n${JSON.stringify(full, null, 2)}\n`);
  recordResult(scenario, [...verdicts, `load average (1/5/15 min) at end: ${full.load_average_end.join(' / ')} — shared 2-core machine, figures are noisy`, JSON.stringify(full)]);
}

/**
 * Open loop: `send` starts at a fixed rate whether or not earlier ones finished; each latency is
 * measured from the planned start, so a stalled server cannot hide its backlog (no coordinated omission).
 */
export async function openLoop(ratePerS: number, durationS: number, send: (index: number) => Promise<void>): Promise<{ latenciesMs: number[]; errors: number; sent: number }> {
  const intervalMs = 1000 / ratePerS;
  const total = Math.round(ratePerS * durationS);
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const planned = started + i * intervalMs;
    const wait = planned - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(
      send(i).then(
        () => {
          latenciesMs.push(performance.now() - planned);
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return { latenciesMs, errors, sent: total };
}

/** Closed loop: `workers` callers, each sending its next request when the previous answered. */
export async function closedLoop(workers: number, durationS: number, send: (worker: number) => Promise<void>): Promise<{ latenciesMs: number[]; errors: number; completed: number; elapsedS: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await send(worker);
          latenciesMs.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { latenciesMs, errors, completed: latenciesMs.length, elapsedS: (performance.now() - started) / 1000 };
}
