/**
 * http-baseline: req/s and p99 of a trivial route on bare Fastify, against an API-key-authenticated JSON
 * GET through burrow's full core stack (request ids, security headers, metrics, envelopes, a database
 * lookup of the hashed key and a query). Target: burrow ≥ 70 % of bare Fastify's req/s, same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { recordResult } from './_support/results.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 50;

async function startTarget(mode: 'bare' | 'burrow'): Promise<{ child: ChildProcess; url: string; token?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./_support/http-target.ts', import.meta.url).pathname, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(readline.createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, ...(JSON.parse(line) as { url: string; token?: string }) };
}

async function load(url: string, headers: Record<string, string> = {}): Promise<{ rps: number; p99: number; errors: number }> {
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers }); // warm-up
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

export async function run(): Promise<void> {
  const bare = await startTarget('bare');
  const bareResult = await load(`${bare.url}/hello`);
  bare.child.kill();
  const full = await startTarget('burrow');
  const fullResult = await load(`${full.url}/bench/items`, { 'x-api-key': full.token! });
  full.child.kill();

  const ratio = fullResult.rps / bareResult.rps;
  const lines = [
    `bare Fastify GET /hello:              ${bareResult.rps.toFixed(0)} req/s, p99 ${bareResult.p99} ms, errors ${bareResult.errors}`,
    `burrow full stack GET (API key + DB): ${fullResult.rps.toFixed(0)} req/s, p99 ${fullResult.p99} ms, errors ${fullResult.errors}`,
    `ratio: ${(ratio * 100).toFixed(1)} % of bare Fastify (target ≥ 70 %) — ${ratio >= 0.7 ? 'MET' : 'NOT MET'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  recordResult('http-baseline', [`${CONNECTIONS} connections, ${DURATION_S} s per target, server in its own process`, ...lines]);
}
