import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WebmacsHarness } from './helpers.ts';

const childServer = fileURLToPath(new URL('./child-server.ts', import.meta.url));

export interface ChildServer {
  url: string;
  /** SIGKILL, resolved once the process is gone */
  kill(): Promise<void>;
}

/** Starts a webmacs server process on the databases of `harness` (which should be disposed with keep first). */
export async function startChildServer(harness: Pick<WebmacsHarness, 'dataDir' | 'schemas'>, env: Record<string, string> = {}): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', childServer], {
    env: {
      ...process.env,
      WEBMACS_CHILD_REUSE: JSON.stringify({ dataDir: harness.dataDir, schemas: [...harness.schemas] }),
      WEBMACS_CHILD_ENV: JSON.stringify(env),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! });
  const died = exited.then(([code]) => {
    throw new Error(`child server exited with ${String(code)} before listening`);
  });
  died.catch(() => {}); // after a normal start, the exit is the kill's
  const first = await Promise.race([once(lines, 'line').then(([line]) => line as string), died]);
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
