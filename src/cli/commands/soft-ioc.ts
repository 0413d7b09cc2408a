import fs from 'node:fs';
import { once } from 'node:events';
import { caServerConfigFromEnv, defaultBeaconAddresses } from '../../connectors/epics/ca/server/index.ts';
import { SoftIoc, loadPvSources, serveControlLines, type PvSources } from '../../connectors/epics/softioc/index.ts';
import type { CliInvocation, CliRegistry } from '../registry.ts';

type Values = CliInvocation['values'];

function strings(value: Values[string]): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function wholeNumber(flag: string, value: Values[string], min: number, max: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
  return number;
}

function positiveNumber(flag: string, value: Values[string], allowZero: boolean): number | undefined {
  if (typeof value !== 'string') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) throw new Error(`--${flag} must be a ${allowZero ? 'number ≥ 0' : 'positive number'}, got '${value}'`);
  return number;
}

function sourcesFrom(values: Values): PvSources {
  const generate = wholeNumber('generate', values.generate, 0, 1_000_000) ?? wholeNumber('count', values.count, 0, 1_000_000);
  const sources: PvSources = {
    jsonFiles: strings(values.json),
    dbFiles: strings(values.db),
    macros: typeof values.macros === 'string' ? values.macros : undefined,
    generate,
    prefix: typeof values.prefix === 'string' ? values.prefix : undefined,
  };
  if (!sources.jsonFiles?.length && !sources.dbFiles?.length && generate === undefined) {
    throw new Error('give the PVs to serve: --json FILE, --db FILE or --generate N');
  }
  return sources;
}

/** `--log-frames FILE`: one line per frame, `<ISO time> <in|out> <udp|tcp> <peer> <hex>` */
function frameLogger(file: string): { log: (entry: { direction: string; transport: string; peer: string; frame: Buffer }) => void; close: () => Promise<void> } {
  const stream = fs.createWriteStream(file, { flags: 'a' });
  return {
    log: (entry) => stream.write(`${new Date().toISOString()} ${entry.direction} ${entry.transport} ${entry.peer} ${entry.frame.toString('hex')}\n`),
    close: async () => {
      stream.end();
      await once(stream, 'close');
    },
  };
}

export function registerSoftIocCommands(registry: CliRegistry): void {
  registry.add({
    path: ['soft-ioc'],
    summary: 'Serve simulated EPICS PVs over Channel Access (a soft IOC for tests and demos)',
    usage: '--json F | --db F [--macros P=V,…] | --generate N [--prefix P] [--port P] [--bind A] [--list] [--control stdin] …',
    help: [
      'PV sources (combinable; each of --json and --db may repeat):',
      '  --json F          {"prefix":"SIM:","pvs":[{"name":"X","type":"double","value":1,…}]}',
      '  --db F            EPICS .db records (ai ao bi bo mbbi mbbo longin longout stringin stringout waveform)',
      '  --macros P=V,…    $(P) substitutions for the .db files',
      '  --generate N      N setpoint/readback pairs PREFIX{i}:SP / PREFIX{i}:RB plus PREFIX STR ENUM LONG SHORT',
      '                    FLOAT CHAR WF RO REJECT (--count N is the same; --prefix defaults to SIM:)',
      'Network (flags win over EPICS_CAS_SERVER_PORT / EPICS_CA_SERVER_PORT, EPICS_CAS_INTF_ADDR_LIST,',
      'EPICS_CAS_BEACON_ADDR_LIST, EPICS_CAS_BEACON_PORT / EPICS_CA_REPEATER_PORT, EPICS_CAS_BEACON_PERIOD):',
      '  --port P          UDP and TCP port (5064; 0 picks a free one)   --bind A   interface (127.0.0.1)',
      '  --beacon-period S longest beacon interval in seconds (15)     --beacon-port P  where beacons go',
      'Other:',
      '  --list            print the PV names it would serve, one per line, and exit',
      '  --control stdin   read JSON commands, one per line: {"cmd":"drop"|"stop"|"start"|"restart"|"stats"}',
      '                    {"cmd":"freeze","ms":N} {"cmd":"set"|"get","name":…,"value":…} {"cmd":"alarm","name":…,',
      '                    "status":"HIHI","severity":"MAJOR"} {"cmd":"access","name":…,"read":true,"write":false}',
      '                    {"cmd":"add","pv":{…}} {"cmd":"remove","name":…}; each is answered by one line {"ok":…}',
      '  --sim-rate-scale X multiply simulation rates (0 stops them)   --log-frames F  append every frame as hex',
      'Once listening it prints {"event":"ready","port":P,"pvs":N}. SIGTERM (or the end of stdin with',
      '--control stdin) stops it.',
    ].join('\n'),
    options: {
      json: { type: 'string', multiple: true },
      db: { type: 'string', multiple: true },
      macros: { type: 'string' },
      generate: { type: 'string' },
      count: { type: 'string' },
      prefix: { type: 'string' },
      port: { type: 'string' },
      bind: { type: 'string' },
      'beacon-period': { type: 'string' },
      'beacon-port': { type: 'string' },
      'sim-rate-scale': { type: 'string' },
      control: { type: 'string' },
      'log-frames': { type: 'string' },
      list: { type: 'boolean' },
    },
    async run({ values, io, signal }) {
      let ioc: SoftIoc;
      let frames: ReturnType<typeof frameLogger> | undefined;
      try {
        if (values.control !== undefined && values.control !== 'stdin') throw new Error(`--control supports only 'stdin', got '${String(values.control)}'`);
        const { definitions, warnings } = await loadPvSources(sourcesFrom(values));
        for (const warning of warnings) io.stderr.write(`soft-ioc: warning: ${warning}\n`);
        if (values.list) {
          io.stdout.write(definitions.map((d) => `${d.name}\n`).join(''));
          return 0;
        }
        const network = caServerConfigFromEnv(io.env);
        const bindAddress = typeof values.bind === 'string' ? values.bind : network.bindAddress;
        frames = typeof values['log-frames'] === 'string' ? frameLogger(values['log-frames']) : undefined;
        ioc = new SoftIoc({
          definitions,
          port: wholeNumber('port', values.port, 0, 65535) ?? network.port,
          bindAddress,
          beaconAddresses: io.env.EPICS_CAS_BEACON_ADDR_LIST?.trim() ? network.beaconAddresses : defaultBeaconAddresses(bindAddress),
          beaconPort: wholeNumber('beacon-port', values['beacon-port'], 1, 65535) ?? network.beaconPort,
          beaconPeriodMs: (positiveNumber('beacon-period', values['beacon-period'], false) ?? network.beaconPeriodMs / 1000) * 1000,
          simRateScale: positiveNumber('sim-rate-scale', values['sim-rate-scale'], true),
          logFrame: frames?.log,
          onError: (err, context) => io.stderr.write(`soft-ioc: ${context}: ${err.message}\n`),
        });
        await ioc.start();
      } catch (err) {
        await frames?.close();
        io.stderr.write(`burrow soft-ioc: ${(err as Error).message}\n`);
        return 1;
      }
      io.stdout.write(`${JSON.stringify({ event: 'ready', port: ioc.port, pvs: ioc.database.size })}\n`);
      const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await (values.control === 'stdin' ? Promise.race([stopped, serveControlLines(ioc, io.stdin, io.stdout)]) : stopped);
      await ioc.close();
      await frames?.close();
      return 0;
    },
  });
}
