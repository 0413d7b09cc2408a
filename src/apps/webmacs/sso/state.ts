import { createHash, randomBytes } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/*
 * The SSO `state` is a compact JWE (dir / A256GCM) carrying the PKCE verifier, the nonce and a browser
 * binding, so no server-side session is needed and the verifier never travels readable (D29: upstream's
 * signed JWT exposed the verifier in the URL).
 */

const ISSUER = 'webmacs-sso';
export const STATE_LIFETIME_SECONDS = 600;

export interface SsoState {
  cv: string;
  nonce: string;
  bind: string;
}

export function randomUrlSafe(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** A key of its own for the state, derived from the app secret so the JWT key is never reused for encryption. */
export function stateKey(secretKey: string): Uint8Array {
  return createHash('sha256').update(`webmacs-sso-state:${secretKey}`).digest();
}

export function sealState(state: SsoState, key: Uint8Array): Promise<string> {
  return new EncryptJWT({ ...state })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime(`${STATE_LIFETIME_SECONDS}s`)
    .setIssuer(ISSUER)
    .encrypt(key);
}

/** undefined for anything tampered, expired or not ours. */
export async function openState(sealed: string, key: Uint8Array): Promise<SsoState | undefined> {
  try {
    const { payload } = await jwtDecrypt(sealed, key, { issuer: ISSUER, requiredClaims: ['exp', 'iat'] });
    const { cv, nonce, bind } = payload;
    if (typeof cv !== 'string' || typeof nonce !== 'string' || typeof bind !== 'string') return undefined;
    return { cv, nonce, bind };
  } catch {
    return undefined;
  }
}
