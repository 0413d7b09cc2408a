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
import { createSquirrelApp } from '../../../src/apps/squirrel/index.ts';
import { createServer, type BurrowServer } from '../../../src/server.ts';

export interface BenchSquirrel {
  server: BurrowServer;
  adminKey: string;
  dataDir: string;
  /** an in-process request with the admin key; throws unless the status is 200 */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startSquirrelServer(env: NodeJS.ProcessEnv): Promise<BenchSquirrel> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-squirrel-'));
  let adminKey = '';
  const server = await createServer({
    apps: [createSquirrelApp()],
    env: { ...process.env, BURROW_DATA_DIR: dataDir, BURROW_PORT: '0', BURROW_LOG_LEVEL: 'warn', ...env },
    announce: (_app, message) => (adminKey = /(sq_\S+)/.exec(message)?.[1] ?? adminKey),
  });
  return {
    server,
    adminKey,
    dataDir,
    async call(method, url, payload) {
      const res = await server.fastify.inject({ method, url, headers: { 'x-api-key': adminKey }, ...(payload === undefined ? {} : { payload: payload as object }) });
      if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res.json();
    },
    async stop() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SquirrelProcess {
  url: string;
  adminKey: string;
  /** CPU time the server process has used so far, µs */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Runs `squirrelServerProcess.ts` in a child process with `env` added to this one's.
 * `BENCH_SQUIRREL_NODE_ARGS` adds node flags to it, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile the server.
 */
export async function spawnSquirrelServer(env: NodeJS.ProcessEnv): Promise<SquirrelProcess> {
  const nodeArgs = process.env.BENCH_SQUIRREL_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL('./squirrelServerProcess.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = readline.createInterface({ input: child.stdout });
  const replies = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await replies.next();
    if (done) throw new Error(`squirrel server process exited (${child.exitCode})`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const started = await next();
  return {
    url: started.url as string,
    adminKey: started.adminKey as string,
    async cpuMicros() {
      child.stdin.write('cpu\n');
      return (await next()).cpuMicros as number;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
