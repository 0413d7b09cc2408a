import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';

export interface SignJwtOptions {
  secret: string | Uint8Array;
  /** lifetime in seconds from now */
  expiresIn: number;
  issuer?: string;
  audience?: string | string[];
  jti?: string;
}

export interface VerifyJwtOptions {
  secret: string | Uint8Array;
  issuer?: string;
  audience?: string | string[];
  /** leeway for exp/nbf/iat against clock skew, in seconds */
  clockToleranceSec?: number;
}

export type JwtFailureReason = 'expired' | 'invalid';

export type JwtVerification<P extends JWTPayload = JWTPayload> =
  | { ok: true; payload: P }
  | { ok: false; reason: JwtFailureReason; message: string };

const ALGORITHM = 'HS256';

function keyFrom(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.length === 0) throw new Error('JWT secret must not be empty');
  return key;
}

/** HS256 token with `iat` and `exp` always set. */
export function signJwt(payload: JWTPayload, options: SignJwtOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + options.expiresIn);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  if (options.jti !== undefined) jwt.setJti(options.jti);
  return jwt.sign(keyFrom(options.secret));
}

/**
 * Never throws for a bad token: apps answer 401 either way but word an expired token differently.
 * Only HS256 is accepted (no algorithm confusion), and `exp` is required.
 */
export async function verifyJwt<P extends JWTPayload = JWTPayload>(token: string, options: VerifyJwtOptions): Promise<JwtVerification<P>> {
  try {
    const { payload } = await jwtVerify<P>(token, keyFrom(options.secret), {
      algorithms: [ALGORITHM],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSec,
      requiredClaims: ['exp'],
    });
    return { ok: true, payload };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: err.message };
    if (err instanceof errors.JOSEError || err instanceof TypeError) return { ok: false, reason: 'invalid', message: err.message };
    throw err;
  }
}
