export { CaServer, type CaServerOptions, type CaServerStats } from './server.ts';
export { caServerConfigFromEnv, defaultBeaconAddresses, type CaServerNetworkConfig } from './config.ts';
export { readReply, decodeWrite, type DbrReply } from './dbr-reply.ts';
export type { CaPvListener, CaPvProvider, CaServedPv, FrameLogEntry, PvState } from './types.ts';
