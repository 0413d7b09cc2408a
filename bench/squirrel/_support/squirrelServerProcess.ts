/**
 * The child side of `spawnSquirrelServer`: starts squirrel listening on loopback, prints
 * `{"url","adminKey","dataDir"}`, answers each stdin line with processUsage() and stops when stdin ends.
 */
import readline from 'node:readline';
import { startSquirrelServer } from './squirrelServer.ts';
import { processUsage } from '../../_support/usage.ts';

const squirrel = await startSquirrelServer({});
const url = await squirrel.server.listen();
process.stdout.write(`${JSON.stringify({ url, adminKey: squirrel.adminKey, dataDir: squirrel.dataDir })}\n`);
const input = readline.createInterface({ input: process.stdin });
input.on('line', () => process.stdout.write(`${JSON.stringify(processUsage())}\n`));
input.on('close', () => {
  void squirrel.stop().then(() => process.exit(0));
});
// SIGTERM ends normally so `--cpu-prof` runs of this server write their profile.
process.once('SIGTERM', () => input.close());
