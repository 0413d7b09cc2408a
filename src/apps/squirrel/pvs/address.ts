/**
 * PV address rules (spec §3.1 PV input, D15): trimmed, "" is null, at most 255 characters, no
 * whitespace or control characters; `ca://` is stripped so `ca://X` and `X` are one PV; `pva://` is
 * kept (pvAccess is stored but unsupported, D33); any other scheme is refused.
 */

export const PVA_PREFIX = 'pva://';
const MAX_ADDRESS_LENGTH = 255;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\s\u0000-\u001f\u007f]/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

export type AddressResult = { ok: true; address: string | null } | { ok: false; message: string };

export function normaliseAddress(raw: string | null | undefined): AddressResult {
  if (raw === null || raw === undefined) return { ok: true, address: null };
  let address = raw.trim();
  if (address === '') return { ok: true, address: null };
  const scheme = SCHEME.exec(address)?.[1]?.toLowerCase();
  if (scheme === 'ca') address = address.slice('ca://'.length);
  else if (scheme !== undefined && scheme !== 'pva') return { ok: false, message: `unsupported protocol '${scheme}://' (use ca:// or pva://)` };
  if (address === '' || address === PVA_PREFIX) return { ok: false, message: 'must name a PV after the protocol prefix' };
  if (address.length > MAX_ADDRESS_LENGTH) return { ok: false, message: `must NOT have more than ${MAX_ADDRESS_LENGTH} characters` };
  if (FORBIDDEN.test(address)) return { ok: false, message: 'must not contain whitespace or control characters' };
  return { ok: true, address };
}

export function isPva(address: string | null): boolean {
  return address !== null && address.startsWith(PVA_PREFIX);
}

export function protocolOf(addresses: readonly (string | null)[]): 'ca' | 'pva' {
  return addresses.some(isPva) ? 'pva' : 'ca';
}
