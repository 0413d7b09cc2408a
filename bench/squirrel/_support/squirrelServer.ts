/**
 * A squirrel server for the data-path benches (B1, B1r, B4): in this process, or in its own process
 * (`spawnSquirrelServer`) when a load generator must not share its event loop. Storage is a fresh temp
 * data dir (SQLite) removed on stop; the admin key printed on first start drives the API.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { LightMyRequestResponse } from 'fastify';
import { createSquirrelApp } from '../../../src/apps/squirrel/index.ts';
import { createServer, type BurrowServer } from '../../../src/server.ts';
import type { ProcessUsage } from '../../_support/usage.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** a response body as JSON.parse gives it: the benches read the fields they know */
type JsonBody = ReturnType<typeof JSON.parse>;

export interface BenchSquirrel {
  server: BurrowServer;
  adminKey: string;
  dataDir: string;
  /** an in-process request with the admin key; throws unless the status is 200, else gives the JSON body */
  call(method: Method, url: string, payload?: unknown): Promise<JsonBody>;
  /** the same request, answered whatever its status */
  request(method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

/** `app` is passed to createSquirrelApp (e.g. a CA client of the bench's own). */
export async function startSquirrelServer(env: NodeJS.ProcessEnv, app: Parameters<typeof createSquirrelApp>[0] = {}): Promise<BenchSquirrel> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-squirrel-'));
  let adminKey = '';
  const server = await createServer({
    apps: [createSquirrelApp(app)],
    env: { ...process.env, BURROW_DATA_DIR: dataDir, BURROW_PORT: '0', BURROW_LOG_LEVEL: 'warn', ...env },
    announce: (_app, message) => (adminKey = /(sq_\S+)/.exec(message)?.[1] ?? adminKey),
  });
  const request: BenchSquirrel['request'] = (method, url, payload) =>
    server.fastify.inject({ method, url, headers: { 'x-api-key': adminKey }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return {
    server,
    adminKey,
    dataDir,
    request,
    async call(method, url, payload) {
      const res = await request(method, url, payload);
      if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res.json();
    },
    async stop() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bench server in a child process that prints one JSON line of its own once listening. */
export interface BenchProcess<Info> {
  info: Info;
  /** CPU time the process (every thread) has used so far, and the time its main thread has been busy, µs */
  usage(): Promise<ProcessUsage>;
  stop(): Promise<void>;
}

/**
 * Runs `script` with node (and tsx) in a child process, `env` added to this one's, and waits for its first
 * line. The child answers each stdin line with processUsage() and ends when stdin ends.
 * `BENCH_SQUIRREL_NODE_ARGS` adds node flags to it, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile it.
 */
export async function spawnBenchProcess<Info>(script: URL, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<BenchProcess<Info>> {
  const nodeArgs = process.env.BENCH_SQUIRREL_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script.pathname, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = readline.createInterface({ input: child.stdout });
  const replies = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await replies.next();
    if (done) throw new Error(`${path.basename(script.pathname)} exited (${child.exitCode})`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const info = (await next()) as Info;
  return {
    info,
    async usage() {
      child.stdin.write('usage\n');
      return (await next()) as unknown as ProcessUsage;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

export interface SquirrelProcess extends Omit<BenchProcess<unknown>, 'info'> {
  url: string;
  adminKey: string;
  /** where its SQLite database lives */
  dataDir: string;
}

/** Runs `squirrelServerProcess.ts` in a child process with `env` added to this one's. */
export async function spawnSquirrelServer(env: NodeJS.ProcessEnv): Promise<SquirrelProcess> {
  const server = await spawnBenchProcess<{ url: string; adminKey: string; dataDir: string }>(new URL('./squirrelServerProcess.ts', import.meta.url), [], env);
  return { ...server.info, usage: server.usage, stop: server.stop };
}
