export { base62, generateToken, hashToken, safeEqual, type TokenAlphabet } from './tokens.ts';
export { DEFAULT_PASSWORD_COST, hashPassword, verifyPassword, type PasswordCost } from './passwords.ts';
export { signJwt, verifyJwt, type JwtFailureReason, type JwtVerification, type SignJwtOptions, type VerifyJwtOptions } from './jwt.ts';
export { uuidv7 } from './uuid.ts';
export { createCredentialCache, type CredentialCache, type CredentialCacheOptions } from './credential-cache.ts';
