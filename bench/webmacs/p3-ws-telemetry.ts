/**
 * P3 (spec §9): WebSocket telemetry, 4 sockets, 500-point frames with `id` (acknowledged): a fixed
 * 20,000 dp/s (open loop) for the ack latency, then saturation (two frames in flight per socket).
 * Targets: ack p95 < 50 ms; saturation ≥ 20,000 dp/s and ≥ 0.5 × R_raw (same run).
 */
import WebSocket from 'ws';
import { batchBody, closedLoop, durations, latencySummary, loadAverage, openLoop, report, setupLab, startServer, storedCount } from './_support/harness.ts';
import { measureRawInsert } from './raw-insert.ts';

const SOCKETS = 4;
const IN_FLIGHT_PER_SOCKET = 2;
const BATCH = 500;
const EVENTS = 50;
const RATE_DP_S = 20_000;

/** A telemetry socket whose frames resolve when their ack arrives. */
class TelemetrySocket {
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; id?: number; accepted?: number; message?: string };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.type === 'ack' && message.accepted === BATCH) waiter.resolve();
      else waiter.reject(new Error(JSON.stringify(message)));
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('socket closed'));
      this.pending.clear();
    });
  }

  static async open(base: string, token: string): Promise<TelemetrySocket> {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/controller/telemetry?token=${token}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new TelemetrySocket(socket);
  }

  send(body: string): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(`${body.slice(0, -1)},"id":${id}}`);
    });
  }

  close(): void {
    this.socket.close();
  }
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const { measureS, warmupS } = durations(60);
  const raw = await measureRawInsert();
  const server = await startServer();
  const lab = await setupLab(server.url, EVENTS);
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => TelemetrySocket.open(server.url, lab.token)));
  let sequence = 0;
  const sendOn = (socket: TelemetrySocket) => socket.send(batchBody(lab.events, BATCH, sequence++ * BATCH));

  const framesPerS = RATE_DP_S / BATCH;
  await openLoop(framesPerS, warmupS, (i) => sendOn(sockets[i % SOCKETS]!));
  const fixed = await openLoop(framesPerS, measureS, (i) => sendOn(sockets[i % SOCKETS]!));
  const fixedLatency = latencySummary(fixed.latenciesMs);

  const before = await storedCount(server.url, lab.token);
  const cpuBefore = (await server.usage()).cpuMicros;
  const saturation = await closedLoop(SOCKETS * IN_FLIGHT_PER_SOCKET, measureS, (worker) => sendOn(sockets[worker % SOCKETS]!));
  const cpuMs = ((await server.usage()).cpuMicros - cpuBefore) / 1000;
  const stored = (await storedCount(server.url, lab.token)) - before;
  for (const socket of sockets) socket.close();
  await server.stop();

  const dpPerS = Math.round((saturation.completed * BATCH) / saturation.elapsedS);
  const ratio = Math.round((dpPerS / raw.rowsPerS) * 100) / 100;
  const met = fixedLatency.p95 < 50 && fixed.errors === 0 && dpPerS >= 20_000 && ratio >= 0.5 && saturation.errors === 0;
  report(
    'webmacs/p3-ws-telemetry',
    {
      load_average_start: loadStart,
      measure_s: measureS,
      warmup_s: warmupS,
      fixed_rate_dp_per_s: RATE_DP_S,
      fixed_ack_latency: fixedLatency,
      fixed_errors: fixed.errors,
      saturation_dp_per_s: dpPerS,
      saturation_errors: saturation.errors,
      saturation_ack_latency: latencySummary(saturation.latenciesMs),
      stored_points_saturation: stored,
      r_raw_rows_per_s: raw.rowsPerS,
      ratio_to_r_raw: ratio,
      server_cpu_ms_per_frame: Math.round((cpuMs / saturation.completed) * 100) / 100,
    },
    [
      `P3 fixed ${RATE_DP_S.toLocaleString('en')} dp/s over ${SOCKETS} sockets: ack p50 ${fixedLatency.p50} ms, p95 ${fixedLatency.p95} ms (target < 50), p99 ${fixedLatency.p99} ms; errors ${fixed.errors}`,
      `P3 saturation: ${dpPerS.toLocaleString('en')} dp/s (target ≥ 20,000); R_raw ${raw.rowsPerS.toLocaleString('en')} rows/s, ratio ${ratio} (target ≥ 0.5); errors ${saturation.errors}`,
      `P3: ${met ? 'MET' : 'NOT MET'}`,
    ],
  );
}
