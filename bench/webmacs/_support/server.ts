/**
 * The webmacs server under test, in its own process so the load generator never shares its event
 * loop (spec §9). Environment comes from the parent; prints `{"url": …}` once listening. Each stdin
 * line asks for its resource use so far (processUsage); `stop` closes it gracefully.
 */
import readline from 'node:readline';
import { webmacsApp } from '../../../src/apps/webmacs/index.ts';
import { createServer } from '../../../src/server.ts';
import { processUsage } from '../../_support/usage.ts';

const server = await createServer({ apps: [webmacsApp], env: process.env, announce: () => {} });
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') {
    void server.close().then(() => process.exit(0));
    return;
  }
  process.stdout.write(`${JSON.stringify(processUsage())}\n`);
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
