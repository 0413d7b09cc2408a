import { generateToken, hashToken } from '../../../core/secrets/index.ts';
import { API_TOKEN_PREFIX, hasRole } from '../auth/guard.ts';
import { errors, invalidDatetime, valueError } from '../errors.ts';
import { newPublicId } from '../ids.ts';
import { isoZ, isoZOrNull, nowMicros, parseInputDatetime } from '../time.ts';
import type { UserRow } from '../users/repo.ts';
import type { ApiTokenListRow, TokensRepo } from './repo.ts';
import type { TokenCreateBody } from './schemas.ts';

// `wm_` + the first four characters: enough to recognise a token in a list, useless to an attacker.
const SHOWN_PREFIX_LENGTH = API_TOKEN_PREFIX.length + 4;

function toTokenJson(row: ApiTokenListRow) {
  return {
    public_id: row.public_id,
    name: row.name,
    prefix: row.prefix,
    last_used_at: isoZOrNull(row.last_used_at),
    expires_at: isoZOrNull(row.expires_at),
    created_at: isoZ(Number(row.created_at)),
    user_public_id: row.user_public_id,
  };
}

export function tokensService(repo: TokensRepo) {
  return {
    /** Own tokens; an admin sees everyone's (spec §3.3). Newest first. */
    async list(user: UserRow, limit: number, offset: number) {
      const { total, rows } = await repo.page(hasRole(user, 'admin') ? undefined : user.id, limit, offset);
      return { total, data: rows.map(toTokenJson) };
    },

    /** The plaintext (`wm_` + 64 base64url chars from 48 random bytes, D36) is returned here only; the database keeps its SHA-256. */
    async create(user: UserRow, body: TokenCreateBody) {
      let expiresAt: number | null = null;
      if (body.expires_at !== undefined && body.expires_at !== null) {
        const parsed = parseInputDatetime(body.expires_at);
        if (parsed === undefined) throw invalidDatetime(['body', 'expires_at'], body.expires_at);
        if (parsed <= nowMicros()) throw valueError(['body', 'expires_at'], 'expires_at must be in the future', body.expires_at);
        expiresAt = parsed;
      }
      const token = generateToken(API_TOKEN_PREFIX, 48, 'base64url');
      const createdAt = nowMicros();
      const publicId = newPublicId('tok');
      await repo.insert({
        public_id: publicId,
        user_id: user.id,
        name: body.name,
        token_hash: hashToken(token),
        prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
        created_at: createdAt,
        last_used_at: null,
        expires_at: expiresAt,
      });
      return { public_id: publicId, name: body.name, token, expires_at: isoZOrNull(expiresAt), created_at: isoZ(createdAt) };
    },

    async delete(user: UserRow, publicId: string): Promise<void> {
      const row = await repo.findByPublicId(publicId);
      if (!row) throw errors.apiTokenNotFound();
      if (row.user_id !== user.id && !hasRole(user, 'admin')) throw errors.cannotDeleteOthersToken();
      await repo.delete(row.id);
    },
  };
}
