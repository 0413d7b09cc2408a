import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressScope } from './address.ts';

export class SsrfBlockedError extends Error {
  readonly code = 'BURROW_SSRF_BLOCKED';
  constructor(
    message: string,
    /** the host name or address that was refused */
    readonly target: string,
  ) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

export interface SsrfGuardOptions {
  /** 127.0.0.0/8 and ::1 (tests, same-host receivers) */
  allowLoopback?: boolean;
  /** 10/8, 172.16/12, 192.168/16, fc00::/7 (home-lab targets) */
  allowPrivate?: boolean;
}

export interface SsrfGuard {
  /**
   * Checks what can be checked without DNS: scheme, metadata host names, literal addresses.
   * Returns the parsed URL; throws SsrfBlockedError (or TypeError for a URL that does not parse).
   */
  checkUrl(url: string | URL): URL;
  /** whether a connection to this IP address may be made */
  isAllowedAddress(address: string): boolean;
  /**
   * A `lookup` for http.request / net.connect. Every resolved address must pass, and only those
   * checked addresses are handed to the socket, so the connection goes exactly where the check
   * looked (no DNS rebinding between check and connect) while Host and TLS servername keep the name.
   */
  lookup: LookupFunction;
}

/** Cloud instance-metadata names; their addresses are blocked too, but a resolver may map them anywhere. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.internal',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

function normaliseHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, '').replace(/^\[(.*)\]$/, '$1');
}

export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  const isAllowedAddress = (address: string): boolean => {
    const scope = addressScope(address);
    if (scope === 'public') return true;
    if (scope === 'loopback') return options.allowLoopback === true;
    if (scope === 'private') return options.allowPrivate === true;
    return false;
  };

  const checkHostName = (hostname: string): void => {
    if (METADATA_HOSTS.has(normaliseHost(hostname))) throw new SsrfBlockedError(`Blocked metadata host ${hostname}`, hostname);
  };

  const checkUrl = (url: string | URL): URL => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SsrfBlockedError(`Blocked scheme ${parsed.protocol}`, parsed.protocol);
    }
    const host = normaliseHost(parsed.hostname);
    checkHostName(host);
    if (addressScope(host) !== undefined && !isAllowedAddress(host)) throw new SsrfBlockedError(`Blocked address ${host}`, host);
    return parsed;
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    try {
      checkHostName(hostname);
    } catch (err) {
      callback(err as SsrfBlockedError, '');
      return;
    }
    dns.lookup(hostname, { family: lookupOptions.family, hints: lookupOptions.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const blocked = addresses.find((entry) => !isAllowedAddress(entry.address));
      if (blocked) return callback(new SsrfBlockedError(`Blocked address ${blocked.address} for ${hostname}`, blocked.address), '');
      if (lookupOptions.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };

  return { checkUrl, isAllowedAddress, lookup };
}
