/**
 * B5's WebSocket clients, in a process of their own (spec §9). Each client subscribes to `B5_SUBS`
 * random addresses of the `B5_PAIRS` generated pairs in the `type` dialect; once every client has its `initial` message it prints
 * `{"event":"ready"}`, waits `B5_WARMUP_S`, then for `B5_MEASURE_S` records, for every entry of every
 * `diff`, the receive time minus the value's EPICS timestamp, in 1 ms bins. Finally it prints one JSON
 * line with the percentiles and how many clients were closed, and exits.
 */
import { WebSocket } from 'ws';

const url = process.env.B5_URL!;
const key = process.env.B5_KEY!;
const clients = Number(process.env.B5_CLIENTS);
const subscriptions = Number(process.env.B5_SUBS);
const prefix = process.env.B5_PREFIX!;
// the monitored set: every setpoint and readback of the generated pairs
const addresses = Array.from({ length: Number(process.env.B5_PAIRS) }, (_, i) => [`${prefix}${i + 1}:SP`, `${prefix}${i + 1}:RB`]).flat();
const warmupMs = Number(process.env.B5_WARMUP_S) * 1000;
const measureMs = Number(process.env.B5_MEASURE_S) * 1000;

const MAX_MS = 10_000;
const bins = new Uint32Array(MAX_MS + 1);
let measuring = false;
let entries = 0;
let messages = 0;
let bytes = 0;
let closed = 0;
const closeCodes: number[] = [];

function randomSubset(count: number): string[] {
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(addresses[Math.floor(Math.random() * addresses.length)]!);
  return [...chosen];
}

function percentile(p: number): number {
  const target = Math.ceil((p / 100) * entries);
  let seen = 0;
  for (let ms = 0; ms <= MAX_MS; ms++) {
    seen += bins[ms]!;
    if (seen >= target) return ms;
  }
  return MAX_MS;
}

const sockets: WebSocket[] = [];
let initialised = 0;
let allInitialised!: () => void;
const ready = new Promise<void>((resolve) => (allInitialised = resolve));

for (let i = 0; i < clients; i++) {
  const socket = new WebSocket(`${url}/v1/ws/pvs`, { headers: { 'x-api-key': key } });
  sockets.push(socket);
  let initial = false;
  socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', pvNames: randomSubset(subscriptions) })));
  socket.on('message', (data: Buffer) => {
    const receivedAt = Date.now();
    const text = data.toString();
    const message = JSON.parse(text) as { type: string; data?: Record<string, { timestamp?: number }> };
    if (message.type === 'initial' && !initial) {
      initial = true;
      if (++initialised === clients) allInitialised();
      return;
    }
    if (!measuring || message.type !== 'diff') return;
    messages += 1;
    bytes += data.byteLength;
    for (const entry of Object.values(message.data!)) {
      if (entry.timestamp === undefined) continue;
      const ms = Math.max(0, Math.min(MAX_MS, Math.round(receivedAt - entry.timestamp * 1000)));
      bins[ms]! += 1;
      entries += 1;
    }
  });
  socket.on('close', (code: number) => {
    closed += 1;
    closeCodes.push(code);
  });
  socket.on('error', () => undefined);
}

await ready;
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
await new Promise((resolve) => setTimeout(resolve, warmupMs));
const closedBefore = closed;
measuring = true;
const started = Date.now();
await new Promise((resolve) => setTimeout(resolve, measureMs));
measuring = false;
const seconds = (Date.now() - started) / 1000;
let max = 0;
for (let ms = MAX_MS; ms >= 0; ms--) if (bins[ms]) {
  max = ms;
  break;
}
process.stdout.write(
  `${JSON.stringify({
    event: 'result',
    clients,
    entries,
    entries_per_s: Math.round(entries / seconds),
    messages_per_s: Math.round(messages / seconds),
    mb_per_s: Math.round((bytes / seconds / 1e6) * 10) / 10,
    p50_ms: percentile(50),
    p99_ms: percentile(99),
    max_ms: max,
    closed_during_run: closed - closedBefore,
    closed_before_run: closedBefore,
    close_codes: closeCodes,
  })}\n`,
);
for (const socket of sockets) socket.terminate();
process.exit(0);
