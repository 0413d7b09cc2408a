/**
 * The reading browsers of P6/P6b, in their own process: `count` sockets on /ws/datapoints/stream. For
 * every message received it records receive time − point timestamp. Prints `{"ready": true}` once all
 * are connected; each stdin line asks for the report so far. (P6b's sockets that stop reading are
 * slow-stream-clients.py.)
 */
import readline from 'node:readline';
import WebSocket from 'ws';

const [base, token, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);

const latenciesMs: number[] = [];
const closes: Array<{ code: number; paused: false }> = [];

/** µs-precise ISO with +00:00 → epoch ms with a fraction */
function epochMs(timestamp: string): number {
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? '0';
  return Date.parse(`${timestamp.slice(0, 19)}Z`) + Number(`0.${fraction}`) * 1000;
}

async function open(): Promise<void> {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/datapoints/stream?token=${token}`, { perMessageDeflate: false });
  socket.on('message', (data) => {
    const received = Date.now();
    const message = JSON.parse(data.toString()) as { type: string; datapoints?: Array<{ timestamp: string }> };
    if (message.type !== 'datapoints_batch') return;
    // every point of a bench batch carries the same timestamp: one sample per message
    latenciesMs.push(received - epochMs(message.datapoints![0]!.timestamp));
  });
  socket.on('close', (code) => closes.push({ code, paused: false }));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
}

for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => open()));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

readline.createInterface({ input: process.stdin }).on('line', () => {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
  process.stdout.write(`${JSON.stringify({ points: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? null, closes })}\n`);
  latenciesMs.length = 0;
});
