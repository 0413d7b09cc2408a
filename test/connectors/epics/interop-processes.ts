/**
 * Child processes for the interop tests: our soft IOC and repeater (through the CLI) and Debian's
 * pyepics, each speaking JSON lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import readline from 'node:readline';

const RUNNER = new URL('./softioc-cli-runner.ts', import.meta.url).pathname;
const PYEPICS_PEER = new URL('../../interop/squirrel/pyepics_peer.py', import.meta.url).pathname;
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const DEBIAN_LIBCA = '/usr/lib/x86_64-linux-gnu/libca.so.4.13.5';

/** A child that answers each JSON line written to stdin with one JSON line on stdout, in order. */
export class JsonLinesProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: string[] = [];
  readonly #lines: AsyncIterator<string>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => this.stderr.push(text));
    this.#lines = readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  /** the next line the child prints, parsed; fails after `timeoutMs` or when the child exits */
  async read(timeoutMs = 20_000): Promise<Record<string, unknown>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`)), timeoutMs);
    });
    try {
      const next = await Promise.race([this.#lines.next(), timeout]);
      if (next.done) throw new Error(`the process ended; stderr: ${this.stderr.join('')}`);
      return JSON.parse(next.value) as Record<string, unknown>;
    } finally {
      clearTimeout(timer);
    }
  }

  /** writes one command and resolves with its answer (commands are answered in order) */
  request(command: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> {
    const answer = this.#queue.then(() => {
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
      return this.read(timeoutMs);
    });
    this.#queue = answer.catch(() => undefined);
    return answer;
  }

  /** closes stdin (which ends our CLI tools and the peer) and waits for the exit; kills after 5 s */
  async close(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  }
}

/** `burrow soft-ioc …` with `--control stdin`; resolves once it printed its ready line. */
export async function startSoftIocProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ioc: JsonLinesProcess; port: number; pvs: number }> {
  const ioc = new JsonLinesProcess(process.execPath, ['--import', 'tsx', RUNNER, 'soft-ioc', '--control', 'stdin', ...args], { ...process.env, ...env });
  const ready = await ioc.read();
  if (ready.event !== 'ready') throw new Error(`unexpected first line ${JSON.stringify(ready)}`);
  return { ioc, port: ready.port as number, pvs: ready.pvs as number };
}

/** `burrow ca-repeater --port 0`; stopped with SIGTERM. */
export async function startRepeaterProcess(): Promise<{ repeater: JsonLinesProcess; port: number }> {
  const repeater = new JsonLinesProcess(process.execPath, ['--import', 'tsx', RUNNER, 'ca-repeater', '--port', '0', '--bind', '127.0.0.1'], process.env);
  const ready = await repeater.read();
  return { repeater, port: ready.port as number };
}

export async function stopBySignal(child: JsonLinesProcess): Promise<number | null> {
  if (child.child.exitCode !== null) return child.child.exitCode;
  const exited = once(child.child, 'exit');
  child.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** Debian's pyepics peer pointed at one server and repeater; `ready` false (with the reason) when `import epics` fails. */
export async function startPyepicsPeer(serverPort: number, repeaterPort: number): Promise<{ peer: JsonLinesProcess | undefined; ready: boolean; reason?: string }> {
  if (!fs.existsSync(DEBIAN_PYTHON)) return { peer: undefined, ready: false, reason: `${DEBIAN_PYTHON} is missing` };
  const peer = new JsonLinesProcess(DEBIAN_PYTHON, [PYEPICS_PEER], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYEPICS_LIBCA: DEBIAN_LIBCA,
    EPICS_CA_AUTO_ADDR_LIST: 'NO',
    EPICS_CA_ADDR_LIST: '127.0.0.1',
    EPICS_CA_SERVER_PORT: String(serverPort),
    EPICS_CA_REPEATER_PORT: String(repeaterPort),
    EPICS_CA_MAX_ARRAY_BYTES: '16777216',
  });
  const first = await peer.read();
  return first.ready === true ? { peer, ready: true } : { peer, ready: false, reason: String(first.error) };
}
