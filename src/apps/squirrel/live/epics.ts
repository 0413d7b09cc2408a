import type { EpicsClient } from '../../../connectors/epics/index.ts';

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
