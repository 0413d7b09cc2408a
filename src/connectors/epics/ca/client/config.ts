import os from 'node:os';
import { ConfigError, env, type Setting } from '../../../../core/config.ts';
import { ipv4ToNumber, numberToIpv4 } from '../codec.ts';

/** One destination for name searches, as written in EPICS_CA_ADDR_LIST (host not yet resolved). */
export interface SearchDestination {
  host: string;
  port: number;
}

export interface CaClientConfig {
  /** EPICS_CA_ADDR_LIST, with entries lacking a port given EPICS_CA_SERVER_PORT */
  addressList: SearchDestination[];
  /** EPICS_CA_AUTO_ADDR_LIST: add the broadcast address of every non-loopback IPv4 interface */
  autoAddressList: boolean;
  serverPort: number;
  repeaterPort: number;
  /** EPICS_CA_CONN_TMO: circuit silence after which an ECHO is sent */
  connectionTimeoutMs: number;
  /** how long an ECHO may go unanswered before the circuit is declared dead */
  echoTimeoutMs: number;
  maxSearchPeriodMs: number;
  maxArrayBytes: number;
  /** start an in-process repeater when the repeater port is free */
  startRepeater: boolean;
}

export interface CaLogger {
  warn(message: string): void;
  debug(message: string): void;
}

export const silentLogger: CaLogger = { warn: () => {}, debug: () => {} };

export const CA_DEFAULT_SERVER_PORT = 5064;
export const CA_DEFAULT_REPEATER_PORT = 5065;
/** spec §5.3: the ECHO wait is fixed, only the silence before it is configurable */
const ECHO_TIMEOUT_MS = 5000;

const port = (defaultPort: number, description: string) =>
  env.int({ default: defaultPort, min: 1, max: 65535, description });

const caSettings = {
  EPICS_CA_ADDR_LIST: env.string({ default: '', description: 'space-separated host[:port] search destinations' }),
  EPICS_CA_AUTO_ADDR_LIST: env.bool({ default: true, description: 'add interface broadcast addresses' }),
  EPICS_CA_SERVER_PORT: port(CA_DEFAULT_SERVER_PORT, 'default CA server port'),
  EPICS_CA_REPEATER_PORT: port(CA_DEFAULT_REPEATER_PORT, 'CA repeater port'),
  EPICS_CA_CONN_TMO: env.number({ default: 30, min: 0.1, description: 'seconds of circuit silence before an ECHO' }),
  EPICS_CA_MAX_SEARCH_PERIOD: env.number({ default: 300, min: 1, description: 'longest interval between searches, s' }),
  EPICS_CA_MAX_ARRAY_BYTES: env.int({ default: 16_777_216, min: 16_384, description: 'largest accepted payload' }),
} satisfies Record<string, Setting<unknown>>;

type CaSettingName = keyof typeof caSettings;

export interface ReadCaClientConfigOptions {
  /** an application prefix whose copies win over the standard names, e.g. `SQUIRREL_` (spec §5.3) */
  overridePrefix?: string;
  logger?: CaLogger;
}

/**
 * Reads the standard EPICS client variables. A bad value throws ConfigError naming the variable that
 * held it (the prefixed copy when that is the one in use).
 */
export function readCaClientConfig(source: NodeJS.ProcessEnv = process.env, options: ReadCaClientConfigOptions = {}): CaClientConfig {
  const prefix = options.overridePrefix ?? '';
  const read = <N extends CaSettingName>(name: N): ReturnType<(typeof caSettings)[N]['parse']> => {
    const used = prefix && source[prefix + name] ? prefix + name : name;
    const raw = source[used];
    const setting = caSettings[name] as Setting<ReturnType<(typeof caSettings)[N]['parse']>>;
    if (raw === undefined || raw === '') return setting.default;
    try {
      return setting.parse(raw);
    } catch (err) {
      throw new ConfigError(used, (err as Error).message);
    }
  };
  if (source.EPICS_CA_NAME_SERVERS || (prefix && source[`${prefix}EPICS_CA_NAME_SERVERS`])) {
    options.logger?.warn('EPICS_CA_NAME_SERVERS is not supported; names are searched over UDP only');
  }
  const serverPort = read('EPICS_CA_SERVER_PORT');
  const addressVariable = prefix && source[`${prefix}EPICS_CA_ADDR_LIST`] ? `${prefix}EPICS_CA_ADDR_LIST` : 'EPICS_CA_ADDR_LIST';
  let addressList: SearchDestination[];
  try {
    addressList = parseAddressList(read('EPICS_CA_ADDR_LIST'), serverPort);
  } catch (err) {
    throw new ConfigError(addressVariable, (err as Error).message);
  }
  return {
    addressList,
    autoAddressList: read('EPICS_CA_AUTO_ADDR_LIST'),
    serverPort,
    repeaterPort: read('EPICS_CA_REPEATER_PORT'),
    connectionTimeoutMs: Math.round(read('EPICS_CA_CONN_TMO') * 1000),
    echoTimeoutMs: ECHO_TIMEOUT_MS,
    maxSearchPeriodMs: Math.round(read('EPICS_CA_MAX_SEARCH_PERIOD') * 1000),
    maxArrayBytes: read('EPICS_CA_MAX_ARRAY_BYTES'),
    startRepeater: true,
  };
}

/** `host[:port]` entries separated by whitespace; an entry without a port gets `defaultPort`. */
export function parseAddressList(text: string, defaultPort: number): SearchDestination[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const match = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
      const entryPort = match?.[2] === undefined ? defaultPort : Number(match[2]);
      if (!match?.[1] || !Number.isInteger(entryPort) || entryPort < 1 || entryPort > 65535) {
        throw new Error(`bad entry ${JSON.stringify(entry)}: expected host[:port]`);
      }
      return { host: match[1], port: entryPort };
    });
}

/** IPv4 broadcast addresses of the non-loopback interfaces (what EPICS_CA_AUTO_ADDR_LIST=YES adds). */
export function interfaceBroadcastAddresses(interfaces = os.networkInterfaces()): string[] {
  const found = new Set<string>();
  for (const addresses of Object.values(interfaces)) {
    for (const entry of addresses ?? []) {
      if (entry.family !== 'IPv4' || entry.internal) continue;
      const address = ipv4ToNumber(entry.address);
      const mask = ipv4ToNumber(entry.netmask);
      found.add(numberToIpv4((address | ~mask) >>> 0));
    }
  }
  return [...found];
}
