import { CaRepeater } from '../../connectors/epics/ca/repeater.ts';
import { CA_REPEATER_PORT } from '../../connectors/epics/ca/constants.ts';
import type { CliRegistry } from '../registry.ts';

export function registerCaRepeaterCommand(registry: CliRegistry): void {
  registry.add({
    path: ['ca-repeater'],
    summary: 'Run a Channel Access repeater (fans server beacons out to the CA clients on this host)',
    usage: '[--port P] [--bind A]',
    help: [
      '--port defaults to EPICS_CA_REPEATER_PORT, else 5065; --bind to 0.0.0.0 (beacons come from other hosts).',
      'Registrations are accepted from loopback only. Prints {"event":"ready","port":P} once listening;',
      'SIGTERM stops it. Exits with 1 when the port is taken (usually by another repeater).',
    ].join('\n'),
    options: { port: { type: 'string' }, bind: { type: 'string' } },
    async run({ values, io, signal }) {
      const text = typeof values.port === 'string' ? values.port : io.env.EPICS_CA_REPEATER_PORT?.trim() || String(CA_REPEATER_PORT);
      const port = Number(text);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        io.stderr.write(`burrow ca-repeater: the port must be a number from 0 to 65535, got '${text}'\n`);
        return 2;
      }
      const repeater = new CaRepeater({
        port,
        bindAddress: typeof values.bind === 'string' ? values.bind : undefined,
        onError: (err, context) => io.stderr.write(`ca-repeater: ${context}: ${err.message}\n`),
      });
      try {
        await repeater.start();
      } catch (err) {
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        io.stderr.write(`burrow ca-repeater: ${inUse ? `port ${port} is taken (a repeater is probably running already)` : (err as Error).message}\n`);
        return 1;
      }
      io.stdout.write(`${JSON.stringify({ event: 'ready', port: repeater.port })}\n`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await repeater.stop();
      return 0;
    },
  });
}
