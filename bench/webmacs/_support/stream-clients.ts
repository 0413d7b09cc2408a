/**
 * The browsers of P6/P6b, in their own process: `count` sockets on /ws/datapoints/stream, the first
 * `paused` of which stop reading (their TCP receive side is paused once connected). For every message
 * received it records receive time − point timestamp. Prints `{"ready": true}` once all are connected;
 * each stdin line asks for the report so far (`resume` first lets the paused sockets read again).
 */
import readline from 'node:readline';
import WebSocket from 'ws';

const [base, token, countText, pausedText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const paused = Number(pausedText ?? 0);

const latenciesMs: number[] = [];
const closes: Array<{ code: number; paused: boolean; afterPauseMs: number | null }> = [];
const pausedSockets: WebSocket[] = [];
let pausedAt: number | undefined;

/** µs-precise ISO with +00:00 → epoch ms with a fraction */
function epochMs(timestamp: string): number {
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? '0';
  return Date.parse(`${timestamp.slice(0, 19)}Z`) + Number(`0.${fraction}`) * 1000;
}

async function open(index: number): Promise<void> {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/datapoints/stream?token=${token}`, { perMessageDeflate: false });
  const isPaused = index < paused;
  /** the newest point a paused socket got before the server closed it: the close came one broadcast later */
  let lastPointMs: number | undefined;
  socket.on('message', (data) => {
    const received = Date.now();
    const message = JSON.parse(data.toString()) as { type: string; datapoints?: Array<{ timestamp: string }> };
    if (message.type !== 'datapoints_batch') return;
    // every point of a bench batch carries the same timestamp: one sample per message
    const pointMs = epochMs(message.datapoints![0]!.timestamp);
    if (isPaused) lastPointMs = pointMs;
    else latenciesMs.push(received - pointMs);
  });
  socket.on('close', (code) => closes.push({ code, paused: isPaused, afterPauseMs: isPaused && pausedAt && lastPointMs ? Math.round(lastPointMs - pausedAt) : null }));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  if (isPaused) {
    pausedAt ??= Date.now();
    // stop reading: the kernel buffers fill, then the server's bufferedAmount grows
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    pausedSockets.push(socket);
  }
}

for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => open(i + j)));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

// `resume`: the paused sockets read again, so they see what the server did (a 1013 close frame queued behind the data).
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'resume') {
    for (const socket of pausedSockets) (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
  process.stdout.write(`${JSON.stringify({ points: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? null, closes })}\n`);
  latenciesMs.length = 0;
});
