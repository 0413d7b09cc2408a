import { EpicsService, type EpicsClient } from '../../../connectors/epics/index.ts';

/**
 * Defers creating the Channel Access client until the first EPICS operation, so an instance that
 * never reads or writes a PV opens no UDP or TCP sockets.
 */
export function lazyEpics(create: () => EpicsClient): EpicsClient & { created(): boolean } {
  let client: EpicsClient | undefined;
  const get = () => (client ??= create());
  return {
    getOne: (address, options) => get().getOne(address, options),
    getMany: (addresses, options) => get().getMany(addresses, options),
    putMany: (writes, options) => get().putMany(writes, options),
    monitor: (address, handlers, options) => get().monitor(address, handlers, options),
    close: async () => client?.close(),
    created: () => client !== undefined,
  };
}

/** What test-epics reports as the client's environment (spec §3.2). */
export interface CaEnvironment {
  EPICS_CA_ADDR_LIST: string;
  EPICS_CA_AUTO_ADDR_LIST: string;
  EPICS_CA_SERVER_PORT: string;
}

/** EPICS_CA_* as the CA client reads them: a SQUIRREL_ copy wins (spec §6) */
function caVariable(name: string, fallback: string): string {
  return process.env[`SQUIRREL_${name}`] ?? process.env[name] ?? fallback;
}

/**
 * The app's CA client, configured from EPICS_CA_* (SQUIRREL_ copies win). With an in-process soft IOC
 * and no address list configured, it searches that IOC only (spec §5.4 In-process mode).
 */
export function squirrelEpics(inProcessIocPort: number | undefined): { epics: EpicsClient; environment: CaEnvironment } {
  const serverPort = caVariable('EPICS_CA_SERVER_PORT', '5064');
  if (inProcessIocPort !== undefined && caVariable('EPICS_CA_ADDR_LIST', '').trim() === '') {
    const addressList = [{ host: '127.0.0.1', port: inProcessIocPort }];
    return {
      epics: lazyEpics(() => new EpicsService({ overridePrefix: 'SQUIRREL_', config: { addressList, autoAddressList: false } })),
      environment: { EPICS_CA_ADDR_LIST: `127.0.0.1:${inProcessIocPort}`, EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_SERVER_PORT: serverPort },
    };
  }
  return {
    epics: lazyEpics(() => new EpicsService({ overridePrefix: 'SQUIRREL_' })),
    environment: { EPICS_CA_ADDR_LIST: caVariable('EPICS_CA_ADDR_LIST', ''), EPICS_CA_AUTO_ADDR_LIST: caVariable('EPICS_CA_AUTO_ADDR_LIST', 'YES'), EPICS_CA_SERVER_PORT: serverPort },
  };
}
