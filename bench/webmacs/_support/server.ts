/**
 * The webmacs server under test, in its own process so the load generator never shares its event
 * loop (spec §9). Environment comes from the parent; prints `{"url": …}` once listening. Each stdin
 * line asks for the process's CPU time and RSS so far; `stop` closes it gracefully.
 */
import readline from 'node:readline';
import { webmacsApp } from '../../../src/apps/webmacs/index.ts';
import { createServer } from '../../../src/server.ts';

const server = await createServer({ apps: [webmacsApp], env: process.env, announce: () => {} });
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') {
    void server.close().then(() => process.exit(0));
    return;
  }
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system, rssBytes: process.memoryUsage.rss() })}\n`);
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
