import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rateLimitHook, type RateLimitStore } from '../../core/ratelimit/index.ts';

/*
 * Spec §2.8: a sliding 60 s window per client IP. The client IP is the first X-Forwarded-For hop, else
 * X-Real-IP, else the socket peer, and the headers count only when the peer is a trusted proxy (D10:
 * upstream trusted them from anyone, which let any client claim an exempt address).
 */

const WINDOW_MS = 60_000;

function normalise(address: string): string {
  const trimmed = address.trim().replace(/^\[|\]$/g, '');
  return trimmed.toLowerCase().startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

/** Matches addresses against a list of IPs and CIDRs (already validated by the settings). */
export function networkMatcher(networks: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of networks) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const ip = normalise(address);
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export function clientIpResolver(trustedProxies: readonly string[]): (request: FastifyRequest) => string {
  const trusted = networkMatcher(trustedProxies);
  return (request) => {
    const peer = normalise(request.socket.remoteAddress ?? '');
    if (!trusted(peer)) return peer;
    const forwarded = request.headers['x-forwarded-for'];
    const firstHop = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (firstHop && isIP(normalise(firstHop))) return normalise(firstHop);
    const realIp = request.headers['x-real-ip'];
    const real = (Array.isArray(realIp) ? realIp[0] : realIp)?.trim();
    return real && isIP(normalise(real)) ? normalise(real) : peer;
  };
}

/**
 * Never counted: sockets, health, OTA uploads, datapoint reads and writes (controllers), and CORS
 * preflights (upstream's CORS middleware answers them before the limiter sees them).
 */
export function isExemptPath(method: string, path: string): boolean {
  if (method === 'OPTIONS') return true;
  if (path.startsWith('/ws') || path.startsWith('/health') || path.startsWith('/api/v1/ota')) return true;
  return (method === 'GET' || method === 'POST') && path.startsWith('/api/v1/datapoints');
}

export interface RateLimitOptions {
  store: RateLimitStore;
  perMinute: number;
  trustedProxies: readonly string[];
  exemptNetworks: readonly string[];
}

export function installRateLimit(scope: FastifyInstance, options: RateLimitOptions): void {
  if (options.perMinute === 0) return;
  const clientIp = clientIpResolver(options.trustedProxies);
  const exempt = networkMatcher(options.exemptNetworks);
  scope.addHook(
    'onRequest',
    rateLimitHook({
      store: options.store,
      limit: options.perMinute,
      windowMs: WINDOW_MS,
      key: (request) => {
        if (isExemptPath(request.method, request.url.split('?', 1)[0] ?? '')) return undefined;
        const ip = clientIp(request);
        return exempt(ip) ? undefined : `ip:${ip}`;
      },
    }),
  );
}
