/**
 * P6 (spec §9): fan-out to 500 stream sockets held by a separate process, while 20 batches/s × 25
 * points rotate over 125 events (each event every 250 ms, past the 200 ms throttle), 60 s after a
 * 10 s warm-up. Targets: delivery p99 < 100 ms (receive time − point timestamp), 0 sockets dropped,
 * server RSS growth < 50 MB, ingest batch p95 < 50 ms, and broadcast CPU per message ≤ 5 ms (0.1 × the
 * 50 ms message interval): server CPU per batch with the sockets minus without them, same run.
 * P6b (p6b-slow-consumers.ts) runs the same with 10 of the 500 sockets stopping reading.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import { durations, latencySummary, loadAverage, openLoop, report, request, setupLab, startServer, type Lab, type ServerHandle } from './_support/harness.ts';

const SOCKETS = 500;
const EVENTS = 125;
const BATCHES_PER_S = 20;
const BATCH = 25;

/** the server's WEBMACS_WS_MAX_BUFFERED_BYTES (default): the backlog past which a socket is closed 1013 */
const MAX_BUFFERED_BYTES = 2 ** 20;
/**
 * How long the slow sockets stop reading before they drain what they were sent: past the ~12–20 s
 * that 1 MiB takes to pile up, within the 30 s after a close in which ws still delivers its frame.
 */
const STALL_S = 30;

type ReaderClose = { code: number; paused: false };
/** afterPauseMs: from the socket's last read to the server's last message before the close; afterThresholdMs: from its unread bytes passing the limit to that message */
type SlowClose = { code: number; paused: true; afterPauseMs: number | null; afterThresholdMs: number | null; unreadBytesAtClose: number };

interface ClientReport<Close> {
  points: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  closes: Close[];
}

/** A client process that prints one line once ready and answers each command line with one JSON line. */
async function startClientProcess<Report>(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  await once(lines, 'line');
  return {
    async report(request = 'report'): Promise<Report> {
      child.stdin!.write(`${request}\n`);
      const [line] = (await once(lines, 'line')) as [string];
      return JSON.parse(line) as Report;
    },
    stop: () => child.kill(),
  };
}

/** `paused` of the SOCKETS stop reading once connected (slow-stream-clients.py says how); the rest read. */
async function startClients(server: ServerHandle, token: string, paused: number) {
  const support = (file: string) => new URL(`./_support/${file}`, import.meta.url).pathname;
  const [readers, slow] = await Promise.all([
    startClientProcess<ClientReport<ReaderClose>>(process.execPath, ['--import', 'tsx', support('stream-clients.ts'), server.url, token, String(SOCKETS - paused)]),
    paused ? startClientProcess<{ closes: SlowClose[] }>('/usr/bin/python3', [new URL('../../test/apps/webmacs/slow-stream-clients.py', import.meta.url).pathname, server.url, token, String(paused), String(MAX_BUFFERED_BYTES), String(STALL_S)]) : undefined,
  ]);
  return {
    async report(request = 'report'): Promise<ClientReport<ReaderClose | SlowClose>> {
      const [read, stalled] = await Promise.all([readers.report(), slow?.report(request)]);
      return { ...read, closes: [...read.closes, ...(stalled?.closes ?? [])] };
    },
    stop() {
      readers.stop();
      slow?.stop();
    },
  };
}

function rotatingBatch(lab: Lab, index: number): string {
  const timestamp = new Date().toISOString();
  const datapoints = Array.from({ length: BATCH }, (_, j) => ({ value: Math.round(Math.random() * 10_000) / 100, event_public_id: lab.events[(index * BATCH + j) % EVENTS], timestamp }));
  return JSON.stringify({ datapoints });
}

async function ingest(server: ServerHandle, lab: Lab, seconds: number) {
  const cpuBefore = (await server.usage()).cpuMicros;
  const result = await openLoop(BATCHES_PER_S, seconds, async (i) => {
    const answer = await request(server.url, 'POST', '/api/v1/datapoints/batch', lab.token, rotatingBatch(lab, i));
    if (answer.status !== 201) throw new Error(String(answer.status));
  });
  const cpuMsPerBatch = ((await server.usage()).cpuMicros - cpuBefore) / 1000 / result.sent;
  return { ...result, cpuMsPerBatch };
}

export async function fanOut(scenario: string, paused: number): Promise<void> {
  const loadStart = loadAverage();
  const { measureS, warmupS } = durations(60);
  const server = await startServer();
  const lab = await setupLab(server.url, EVENTS);
  await ingest(server, lab, warmupS);
  const quiet = await ingest(server, lab, Math.max(5, Math.round(measureS / 3)));

  const clients = await startClients(server, lab.token, paused);
  await ingest(server, lab, warmupS);
  const warm = await clients.report();
  const rssStart = (await server.usage()).rssBytes;
  const loaded = await ingest(server, lab, measureS);
  const rssEnd = (await server.usage()).rssBytes;
  const delivered = await clients.report('resume');
  clients.stop();
  await server.stop();

  const closes = [...warm.closes, ...delivered.closes];
  const pausedClosed = closes.filter((c): c is SlowClose => c.paused && c.code === 1013);
  const othersDropped = closes.filter((c) => !c.paused).length;
  const ingestLatency = latencySummary(loaded.latenciesMs);
  const broadcastCpuMs = Math.round((loaded.cpuMsPerBatch - quiet.cpuMsPerBatch) * 100) / 100;
  const rssGrowthMb = Math.round(((rssEnd - rssStart) / 2 ** 20) * 10) / 10;
  const slowest = (key: 'afterPauseMs' | 'afterThresholdMs') => Math.max(0, ...pausedClosed.map((c) => c[key] ?? Infinity));
  const slowestCloseAfterPauseMs = slowest('afterPauseMs');
  const slowestCloseAfterThresholdMs = slowest('afterThresholdMs');
  const firstClose = pausedClosed.find((c) => c.afterPauseMs);
  const streamKBps = firstClose ? Math.round(firstClose.unreadBytesAtClose / 1.024 / firstClose.afterPauseMs!) : NaN;
  const figures = {
    load_average_start: loadStart,
    measure_s: measureS,
    warmup_s: warmupS,
    sockets: SOCKETS,
    paused_sockets: paused,
    delivery_latency_ms: { p50: delivered.p50, p95: delivered.p95, p99: delivered.p99, max: delivered.max, messages: delivered.points },
    other_sockets_dropped: othersDropped,
    paused_closed_1013: pausedClosed.length,
    paused_close_after_pause_ms_max: paused ? slowestCloseAfterPauseMs : null,
    paused_close_after_threshold_ms_max: paused ? slowestCloseAfterThresholdMs : null,
    paused_unread_bytes_at_close: pausedClosed.map((c) => c.unreadBytesAtClose),
    rss_growth_mb: rssGrowthMb,
    ingest_batch_latency: ingestLatency,
    ingest_errors: loaded.errors,
    server_cpu_ms_per_batch_without_sockets: Math.round(quiet.cpuMsPerBatch * 100) / 100,
    server_cpu_ms_per_batch_with_sockets: Math.round(loaded.cpuMsPerBatch * 100) / 100,
    broadcast_cpu_ms_per_message: broadcastCpuMs,
  };
  const met =
    (delivered.p99 ?? Infinity) < 100 &&
    othersDropped === 0 &&
    (paused ? pausedClosed.length === paused && slowestCloseAfterThresholdMs <= 5000 : rssGrowthMb < 50 && ingestLatency.p95 < 50 && broadcastCpuMs <= 5);
  report(scenario, figures, [
    `${scenario}: ${SOCKETS} sockets (${paused} not reading), ${BATCHES_PER_S} batches/s × ${BATCH} points over ${EVENTS} events: delivery p50 ${delivered.p50} ms, p99 ${delivered.p99} ms (target < 100), ${othersDropped} reading sockets dropped (target 0)`,
    paused
      ? `${scenario}: ${pausedClosed.length}/${paused} non-reading sockets closed 1013 (target ${paused}), the slowest ${slowestCloseAfterThresholdMs} ms after it held more than 1 MiB unread (target ≤ 5,000) and ${slowestCloseAfterPauseMs} ms after it stopped reading (the stream brings each socket ~${streamKBps} KB/s, so 1 MiB takes ~${Math.round(1024 / streamKBps)} s to pile up)`
      : `${scenario}: RSS growth ${rssGrowthMb} MB (target < 50); ingest batch p95 ${ingestLatency.p95} ms (target < 50); broadcast CPU per message ${broadcastCpuMs} ms (target ≤ 5: ${figures.server_cpu_ms_per_batch_with_sockets} ms per batch with sockets − ${figures.server_cpu_ms_per_batch_without_sockets} without)`,
    `${scenario}: ${met ? 'MET' : 'NOT MET'}`,
  ]);
}

export async function run(): Promise<void> {
  await fanOut('webmacs/p6-fanout', 0);
}
