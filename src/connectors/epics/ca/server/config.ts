/**
 * The CA server's settings from the standard EPICS server variables (spec §5.4). Binding defaults to
 * 127.0.0.1: serving the network is something an operator asks for.
 */
import os from 'node:os';
import { CA_REPEATER_PORT, CA_SERVER_PORT } from '../constants.ts';

export interface CaServerNetworkConfig {
  port: number;
  bindAddress: string;
  beaconAddresses: string[];
  beaconPort: number;
  beaconPeriodMs: number;
}

const DEFAULT_BEACON_PERIOD_S = 15;

function portFrom(env: NodeJS.ProcessEnv, names: string[], fallback: number): number {
  for (const name of names) {
    const text = env[name]?.trim();
    if (!text) continue;
    const port = Number(text);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number (0-65535), got '${text}'`);
    return port;
  }
  return fallback;
}

function addressList(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === 'localhost';
}

/** The IPv4 broadcast address of every non-loopback interface (for `bindAddress` 0.0.0.0 or that interface). */
export function interfaceBroadcastAddresses(bindAddress: string): string[] {
  const result = new Set<string>();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4' || entry.internal) continue;
      if (bindAddress !== '0.0.0.0' && entry.address !== bindAddress) continue;
      const address = entry.address.split('.').map(Number);
      const mask = entry.netmask.split('.').map(Number);
      result.add(address.map((part, i) => (part | (~mask[i]! & 0xff)) & 0xff).join('.'));
    }
  }
  return [...result];
}

/** Where beacons go when EPICS_CAS_BEACON_ADDR_LIST is unset: loopback when bound to it, else the broadcasts. */
export function defaultBeaconAddresses(bindAddress: string): string[] {
  return isLoopback(bindAddress) ? ['127.0.0.1'] : interfaceBroadcastAddresses(bindAddress);
}

/**
 * EPICS_CAS_SERVER_PORT, else EPICS_CA_SERVER_PORT (5064); the first of EPICS_CAS_INTF_ADDR_LIST
 * (127.0.0.1); EPICS_CAS_BEACON_ADDR_LIST; EPICS_CAS_BEACON_PORT, else EPICS_CA_REPEATER_PORT (5065);
 * EPICS_CAS_BEACON_PERIOD seconds (15). A malformed value throws, naming the variable.
 */
export function caServerConfigFromEnv(env: NodeJS.ProcessEnv): CaServerNetworkConfig {
  const bindAddress = addressList(env.EPICS_CAS_INTF_ADDR_LIST)[0] ?? '127.0.0.1';
  const beaconAddresses = addressList(env.EPICS_CAS_BEACON_ADDR_LIST);
  const periodText = env.EPICS_CAS_BEACON_PERIOD?.trim();
  const period = periodText ? Number(periodText) : DEFAULT_BEACON_PERIOD_S;
  if (!(period > 0)) throw new Error(`EPICS_CAS_BEACON_PERIOD must be a positive number of seconds, got '${periodText}'`);
  return {
    port: portFrom(env, ['EPICS_CAS_SERVER_PORT', 'EPICS_CA_SERVER_PORT'], CA_SERVER_PORT),
    bindAddress,
    beaconAddresses: beaconAddresses.length ? beaconAddresses : defaultBeaconAddresses(bindAddress),
    beaconPort: portFrom(env, ['EPICS_CAS_BEACON_PORT', 'EPICS_CA_REPEATER_PORT'], CA_REPEATER_PORT),
    beaconPeriodMs: period * 1000,
  };
}
