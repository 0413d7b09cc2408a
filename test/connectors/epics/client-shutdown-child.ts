/**
 * Child process for the clean-shutdown test: uses a context fully (search, circuit, monitor, a name
 * that is never found, its own repeater), closes it, and must then exit by itself.
 */
import { Context } from '../../../src/connectors/epics/ca/client/index.ts';

const context = new Context({ env: process.env, timeoutMs: 3000 });
const channels = ['T:1:SP', 'T:2:SP', 'T:NOPE'].map((name) => context.channel(name));
channels[0]!.subscribe(() => {});
const readings = await Promise.all(channels.slice(0, 2).map((channel) => channel.get()));
const pending = channels[2]!.waitConnected({ timeoutMs: 60_000 }).catch((err: Error) => err.message);
const statsOpen = context.stats;
await context.close();
process.stdout.write(`${JSON.stringify({ counts: readings.map((r) => r.count), statsOpen, statsClosed: context.stats, pending: await pending })}\n`);
