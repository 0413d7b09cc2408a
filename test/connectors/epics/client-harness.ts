import dgram from 'node:dgram';
import { Context } from '../../../src/connectors/epics/ca/client/index.ts';
import type { CaClientConfig } from '../../../src/connectors/epics/ca/client/index.ts';
import { SoftIoc, generatedPvDefinitions, type PvDefinition } from '../../../src/connectors/epics/softioc/index.ts';

/** A UDP port nobody holds right now (for the repeater, which must not collide with other test files). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface LogLines {
  warn: string[];
  debug: string[];
}

export interface TestIoc {
  ioc: SoftIoc;
  repeaterPort: number;
  /** a client context searching only this IOC; closed by `close()` */
  context(config?: Partial<CaClientConfig>, options?: { timeoutMs?: number }): Context;
  /** what the contexts logged */
  log: LogLines;
  close(): Promise<void>;
}

/** A soft IOC on free loopback ports serving `--generate pairs` PVs plus `extra`, with static values. */
export async function startTestIoc(options: { pairs?: number; extra?: PvDefinition[]; beaconPeriodMs?: number } = {}): Promise<TestIoc> {
  const repeaterPort = await freeUdpPort();
  const ioc = new SoftIoc({
    definitions: [...generatedPvDefinitions(options.pairs ?? 3, 'T:'), ...(options.extra ?? [])],
    port: 0,
    beaconPort: repeaterPort,
    beaconPeriodMs: options.beaconPeriodMs ?? 15_000,
    simRateScale: 0,
  });
  await ioc.start();
  const contexts: Context[] = [];
  const log: LogLines = { warn: [], debug: [] };
  return {
    ioc,
    repeaterPort,
    log,
    context(config = {}, contextOptions = {}) {
      const context = new Context({
        env: {},
        config: {
          addressList: [{ host: '127.0.0.1', port: ioc.port }],
          autoAddressList: false,
          repeaterPort,
          ...config,
        },
        logger: { warn: (line) => log.warn.push(line), debug: (line) => log.debug.push(line) },
        timeoutMs: contextOptions.timeoutMs ?? 3000,
      });
      contexts.push(context);
      return context;
    },
    async close() {
      await Promise.all(contexts.map((context) => context.close()));
      await ioc.close();
    },
  };
}
