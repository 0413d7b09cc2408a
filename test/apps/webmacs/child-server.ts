/**
 * A webmacs server in its own process, for tests that kill it with SIGKILL (spec §8, §12.121-122).
 * Reuses the databases named by WEBMACS_CHILD_REUSE ({ dataDir, schemas }) and prints one JSON line
 * `{"url": …}` on stdout once it listens; it runs until killed.
 */
import { startWebmacs } from './helpers.ts';

const reuse = JSON.parse(process.env.WEBMACS_CHILD_REUSE ?? '{}') as { dataDir: string; schemas: Array<[string, string]> };
const env = JSON.parse(process.env.WEBMACS_CHILD_ENV ?? '{}') as Record<string, string>;
const wm = await startWebmacs({ env, reuse: { dataDir: reuse.dataDir, schemas: new Map(reuse.schemas) } });
process.stdout.write(`${JSON.stringify({ url: await wm.server.listen() })}\n`);
