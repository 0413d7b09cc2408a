import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOG2_62 = Math.log2(62);

/**
 * Encodes bytes as base62 (alphabet 0-9a-zA-Z), left-padded with '0' to the length the byte count can
 * need, so every token of one size has the same length (32 bytes → 43 characters).
 */
export function base62(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / LOG2_62);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let digits = '';
  while (value > 0n) {
    digits = BASE62_ALPHABET[Number(value % 62n)] + digits;
    value /= 62n;
  }
  return digits.padStart(length, '0');
}

export type TokenAlphabet = 'base62' | 'base64url';

/** A prefixed random token such as `sq_…`; the prefix tells a reader (and a secret scanner) what it is. */
export function generateToken(prefix: string, bytes = 32, alphabet: TokenAlphabet = 'base62'): string {
  const random = randomBytes(bytes);
  return prefix + (alphabet === 'base62' ? base62(random) : random.toString('base64url'));
}

/** Tokens are stored only as this digest, so a leaked table does not leak usable credentials. */
export function hashToken(token: string): string {
  // The one-shot form skips allocating a Hash object: this runs on every authenticated request.
  return hash('sha256', token, 'hex');
}

/** Compares in time independent of where the strings differ and of their lengths (both are hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
