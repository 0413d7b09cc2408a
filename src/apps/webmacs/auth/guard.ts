/**
 * Authentication and roles for every webmacs route (spec §2.4, §2.5).
 *
 * How routes use it (part A and part B alike):
 *   scope.get('/api/v1/things', { preValidation: auth.requireUser }, handler)           // any role
 *   scope.post('/api/v1/things', { preValidation: auth.requireRole('operator') }, …)   // operator or admin
 *   scope.delete('/api/v1/users/:id', { preValidation: auth.requireRole('admin') }, …) // admin only
 *   const { user } = auth.principal(request)                                            // inside the handler
 * `preValidation` runs before schema validation, so a request without credentials gets 401 (and a
 * viewer 403) before any 422, in upstream's order. WebSockets call `auth.verifyToken(token)` and map
 * the failure to their close reason.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { hashToken, safeEqual, signJwt, verifyJwt } from '../../../core/secrets/index.ts';
import type { Role } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { nowMicros } from '../time.ts';
import type { TokensRepo } from '../tokens/repo.ts';
import type { UserRow, UsersRepo } from '../users/repo.ts';
import type { RevocationsRepo } from './repo.ts';

export const API_TOKEN_PREFIX = 'wm_';

export type Principal =
  | { user: UserRow; via: 'jwt'; jti: string; expiresAt: number }
  | { user: UserRow; via: 'api_token'; tokenId: number };

/** Why a credential was refused, in the order they are checked (spec §2.4). */
export type AuthFailure =
  | 'authentication_required'
  | 'invalid_token'
  | 'token_revoked'
  | 'user_not_found'
  | 'invalid_api_token'
  | 'api_token_expired'
  | 'token_owner_not_found';

export type TokenVerification = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

const FAILURE_ERRORS: Record<AuthFailure, () => Error> = {
  authentication_required: errors.authenticationRequired,
  invalid_token: errors.invalidOrExpiredToken,
  token_revoked: errors.tokenRevoked,
  user_not_found: errors.userNotFound,
  invalid_api_token: errors.invalidApiToken,
  api_token_expired: errors.apiTokenExpired,
  token_owner_not_found: errors.tokenOwnerNotFound,
};

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(user: Pick<UserRow, 'role'>, role: Role): boolean {
  return ROLE_RANK[user.role] >= ROLE_RANK[role];
}

// A token's last_used_at is written at most this often, so authentication stays a read (spec §2.4).
const LAST_USED_RESOLUTION_US = 60_000_000;

interface AccessClaims extends JWTPayload {
  /** the user's password_changed_at when the token was issued: a later password change invalidates it */
  pwc?: unknown;
}

export interface AuthGuardDeps {
  secretKey: string;
  accessTokenMinutes: number;
  users: UsersRepo;
  tokens: TokensRepo;
  revocations: RevocationsRepo;
}

export function createAuthGuard(deps: AuthGuardDeps) {
  const principals = new WeakMap<FastifyRequest, Principal>();

  async function verifyJwtToken(token: string): Promise<TokenVerification> {
    const verified = await verifyJwt<AccessClaims>(token, { secret: deps.secretKey });
    if (!verified.ok) return { ok: false, failure: 'invalid_token' };
    const { sub, jti, exp, pwc } = verified.payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') return { ok: false, failure: 'invalid_token' };
    const user = await deps.users.findByPublicId(sub);
    // iat before password_changed_at makes a token invalid (spec §2.4). Comparing the value the token was
    // issued under is exact, where one-second `iat` could not tell apart tokens issued around a change.
    if (user && (user.password_changed_at ?? 0) !== (pwc ?? 0)) return { ok: false, failure: 'invalid_token' };
    if (await deps.revocations.isRevoked(jti)) return { ok: false, failure: 'token_revoked' };
    if (!user) return { ok: false, failure: 'user_not_found' };
    return { ok: true, principal: { user, via: 'jwt', jti, expiresAt: exp * 1_000_000 } };
  }

  async function verifyApiToken(token: string): Promise<TokenVerification> {
    const tokenHash = hashToken(token);
    const row = await deps.tokens.findByHash(tokenHash);
    if (!row || !safeEqual(row.token_hash, tokenHash)) return { ok: false, failure: 'invalid_api_token' };
    const now = nowMicros();
    if (row.expires_at !== null && row.expires_at <= now) return { ok: false, failure: 'api_token_expired' };
    const user = await deps.users.findById(row.user_id);
    if (!user) return { ok: false, failure: 'token_owner_not_found' };
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_US) await deps.tokens.touch(row.id, now);
    return { ok: true, principal: { user, via: 'api_token', tokenId: row.id } };
  }

  /** Checks a bearer token (JWT or `wm_` API token); never throws for a bad one. */
  function verifyToken(token: string): Promise<TokenVerification> {
    return token.startsWith(API_TOKEN_PREFIX) ? verifyApiToken(token) : verifyJwtToken(token);
  }

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const known = principals.get(request);
    if (known) return known;
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw errors.authenticationRequired();
    const result = await verifyToken(match[1]!);
    if (!result.ok) throw FAILURE_ERRORS[result.failure]();
    principals.set(request, result.principal);
    return result.principal;
  }

  /** preValidation hook: any authenticated user. */
  async function requireUser(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    await authenticate(request);
  }

  /** preValidation hook: the given role or a higher one (admin > operator > viewer). */
  function requireRole(role: Exclude<Role, 'viewer'>) {
    return async function requireRoleHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const { user } = await authenticate(request);
      if (!hasRole(user, role)) throw role === 'admin' ? errors.adminRequired() : errors.operatorRequired();
    };
  }

  /** The principal a guard hook authenticated; calling it on an unguarded route is a programming error. */
  function principal(request: FastifyRequest): Principal {
    const found = principals.get(request);
    if (!found) throw new Error('route has no auth guard: add preValidation: auth.requireUser or auth.requireRole(…)');
    return found;
  }

  /** A fresh access token (claims of spec §2.4, D7) and its lifetime in seconds. */
  async function issueAccessToken(user: UserRow): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = deps.accessTokenMinutes * 60;
    const claims = { sub: user.public_id, role: user.role, pwc: user.password_changed_at ?? 0 };
    const token = await signJwt(claims, { secret: deps.secretKey, expiresIn, jti: randomBytes(16).toString('hex') });
    return { token, expiresIn };
  }

  return { verifyToken, authenticate, requireUser, requireRole, principal, issueAccessToken };
}

export type AuthGuard = ReturnType<typeof createAuthGuard>;
