/**
 * What the squirrel CA benches share: the soft IOC in its own process (spec §9: always separate,
 * started with `burrow soft-ioc --generate`), a free port for it, and the machine's load average,
 * printed with every figure because the bench machine is shared.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A UDP port nobody holds right now: the CA repeater port of a bench's own client. */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface IocProcess {
  child: ChildProcessByStdio<Writable, Readable, null>;
  port: number;
  /** the IOC's stdout lines after `ready` (control replies with `--control stdin`) */
  lines: readline.Interface;
  stop(): Promise<void>;
}

/** `burrow soft-ioc --generate <pairs> --prefix <prefix>` on a free port, simulation stopped unless `extra` says otherwise. */
export async function startIocProcess(pairs: number, prefix: string, extra: readonly string[] = []): Promise<IocProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'soft-ioc', '--generate', String(pairs), '--prefix', prefix, '--port', String(port), '--sim-rate-scale', '0', ...extra],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`soft IOC exited with ${code} before it was ready`)));
    const onLine = (line: string) => {
      if (!line.includes('"ready"')) return;
      lines.off('line', onLine);
      resolve();
    };
    lines.on('line', onLine);
  });
  await ready;
  return {
    child,
    port,
    lines,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // with `--control stdin` the IOC also waits for the end of its input
      child.stdin.end();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Points the process's CA client (read when the app creates it) at the IOC alone. */
export function useIoc(port: number): void {
  Object.assign(process.env, { SQUIRREL_EPICS_CA_ADDR_LIST: `127.0.0.1:${port}`, SQUIRREL_EPICS_CA_AUTO_ADDR_LIST: 'NO' });
}

/** The 1-minute load average, rounded: printed beside every figure (the machine is shared). */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
