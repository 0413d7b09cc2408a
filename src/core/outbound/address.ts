import { isIPv4, isIPv6 } from 'node:net';

/**
 * Where an address leads. `forbidden` is never reachable through the guard (link-local and cloud
 * metadata, CGNAT, unspecified, multicast, reserved); loopback and private need the guard's consent.
 */
export type AddressScope = 'public' | 'loopback' | 'private' | 'forbidden';

function ipv4Octets(text: string): [number, number, number, number] {
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return [a, b, c, d];
}

function scopeOfIPv4([a, b]: readonly number[]): AddressScope {
  if (a === undefined || b === undefined) return 'forbidden';
  if (a === 0) return 'forbidden'; // 0.0.0.0/8 "this network": connects to the local host on many systems
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'forbidden'; // link-local, home of 169.254.169.254 metadata
  if (a === 100 && (b & 0xc0) === 64) return 'forbidden'; // 100.64.0.0/10 CGNAT, also Alibaba's metadata
  if (a >= 224) return 'forbidden'; // multicast 224/4, reserved 240/4, broadcast
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, an embedded dotted quad folded in). */
function ipv6Groups(text: string): number[] {
  let address = text.split('%')[0]!;
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = ipv4Octets(tail);
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const [head = '', rest] = address.split('::');
  if (rest === undefined) return parse(head);
  const headGroups = parse(head);
  const restGroups = parse(rest);
  return [...headGroups, ...new Array<number>(8 - headGroups.length - restGroups.length).fill(0), ...restGroups];
}

function embeddedIPv4(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

const AWS_IPV6_METADATA = [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254];

function scopeOfIPv6(g: number[]): AddressScope {
  const zeroUpTo = (end: number) => g.slice(0, end).every((group) => group === 0);
  if (zeroUpTo(8)) return 'forbidden'; // ::
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
  // (2002:AABB:CCDD::) all reach an IPv4 host: judge them by that host.
  if (zeroUpTo(5) && g[5] === 0xffff) return scopeOfIPv4(embeddedIPv4(g[6]!, g[7]!));
  if (zeroUpTo(6)) return scopeOfIPv4(embeddedIPv4(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((group) => group === 0)) return scopeOfIPv4(embeddedIPv4(g[6]!, g[7]!));
  if (g[0] === 0x2002) return scopeOfIPv4(embeddedIPv4(g[1]!, g[2]!));
  const first = g[0]!;
  if ((first & 0xffc0) === 0xfe80) return 'forbidden'; // fe80::/10 link-local
  if ((first & 0xff00) === 0xff00) return 'forbidden'; // ff00::/8 multicast
  if (g.every((group, i) => group === AWS_IPV6_METADATA[i])) return 'forbidden';
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return 'private'; // fc00::/7 ULA, deprecated site-local
  return 'public';
}

/** undefined when the text is not an IP address literal. */
export function addressScope(address: string): AddressScope | undefined {
  if (isIPv4(address)) return scopeOfIPv4(ipv4Octets(address));
  if (isIPv6(address.split('%')[0]!)) return scopeOfIPv6(ipv6Groups(address));
  return undefined;
}
