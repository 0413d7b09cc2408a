import { readFileSync } from 'node:fs';
import { availableApps } from '../../apps/index.ts';
import { ConfigError, platformSettings, readSettings } from '../../core/config.ts';
import { createServer, openMigratedDatabase, selectApps } from '../../server.ts';
import type { CliIo, CliRegistry } from '../registry.ts';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function reportStartupError(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    io.stderr.write(`burrow: invalid configuration: ${err.message}\n`);
    return 78; // EX_CONFIG
  }
  io.stderr.write(`burrow: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

function envWith(io: CliIo, values: Record<string, string | boolean | (string | boolean)[] | undefined>): NodeJS.ProcessEnv {
  const env = { ...io.env };
  if (typeof values.host === 'string') env.BURROW_HOST = values.host;
  if (typeof values.port === 'string') env.BURROW_PORT = values.port;
  if (typeof values['data-dir'] === 'string') env.BURROW_DATA_DIR = values['data-dir'];
  if (typeof values.apps === 'string') env.BURROW_APPS = values.apps;
  return env;
}

const serverOptions = {
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'data-dir': { type: 'string' },
  apps: { type: 'string' },
} as const;

export function registerPlatformCommands(registry: CliRegistry): void {
  registry.add({
    path: ['serve'],
    summary: 'Serve the enabled apps on one port',
    usage: '[--demo] [--host H] [--port P] [--data-dir D] [--apps a,b]',
    help: [
      '--demo starts the demo data sources (soft IOC, simulated devices and UPS, offline model, local site)',
      'and uses demo defaults for unset variables; explicitly set variables always win.',
      'Flags override BURROW_HOST, BURROW_PORT, BURROW_DATA_DIR and BURROW_APPS.',
    ].join('\n'),
    options: { ...serverOptions, demo: { type: 'boolean' } },
    async run({ values, io, signal }) {
      let server;
      try {
        server = await createServer({ apps: availableApps, env: envWith(io, values), demo: values.demo === true });
        const address = await server.listen();
        io.stdout.write(`burrow ${packageJson.version} listening on ${address}\n`);
        io.stdout.write(`  docs:    ${address}/docs\n  metrics: ${address}/metrics\n`);
      } catch (err) {
        await server?.close();
        return reportStartupError(io, err);
      }
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      io.stdout.write('burrow: shutting down\n');
      await server.close();
      return 0;
    },
  });

  registry.add({
    path: ['migrate'],
    summary: "Apply the core's and each enabled app's database migrations, then exit",
    usage: '[--data-dir D] [--apps a,b]',
    options: { 'data-dir': serverOptions['data-dir'], apps: serverOptions.apps },
    async run({ values, io }) {
      try {
        const config = readSettings(platformSettings, envWith(io, values));
        for (const app of selectApps(availableApps, config.BURROW_APPS)) {
          const database = await openMigratedDatabase(app, config);
          await database.close();
          io.stdout.write(`${app.id}: migrated\n`);
        }
        return 0;
      } catch (err) {
        return reportStartupError(io, err);
      }
    },
  });

  registry.add({
    path: ['version'],
    summary: 'Print the burrow version',
    async run({ io }) {
      io.stdout.write(`burrow ${packageJson.version} (node ${process.version})\n`);
      return 0;
    },
  });
}
