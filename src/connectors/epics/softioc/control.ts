/**
 * `--control stdin`: one JSON command per line in, one JSON answer per line out, in order.
 */
import readline from 'node:readline';
import type { SoftIoc } from './ioc.ts';

/** Serves control commands until `input` ends. */
export async function serveControlLines(ioc: SoftIoc, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let command: unknown;
    try {
      command = JSON.parse(line);
    } catch (err) {
      output.write(`${JSON.stringify({ ok: false, error: `invalid JSON: ${(err as Error).message}` })}\n`);
      continue;
    }
    output.write(`${JSON.stringify(await ioc.control(command))}\n`);
  }
}
