import type { DialectHelpers } from '../../../core/db/index.ts';
import { generateToken, hashToken, uuidv7 } from '../../../core/secrets/index.ts';
import { errors } from '../errors.ts';
import { flag, isoTime, isoTimeOrNull, isUuid } from '../format.ts';
import type { ApiKeyRepo, ApiKeyRow } from './repo.ts';

export interface ApiKeyView {
  id: string;
  app_name: string;
  is_active: boolean;
  read_access: boolean;
  write_access: boolean;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

export interface Caller {
  id: string;
  appName: string;
  read: boolean;
  write: boolean;
}

/** spec §3.6: last_used_at is written at most once a minute per key */
const TOUCH_INTERVAL_MS = 60_000;

export function apiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    app_name: row.app_name,
    is_active: flag(row.is_active),
    read_access: flag(row.read_access),
    write_access: flag(row.write_access),
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
    last_used_at: isoTimeOrNull(row.last_used_at),
  };
}

export function createApiKeyService(repo: ApiKeyRepo, dialect: DialectHelpers) {
  const lastTouched = new Map<string, number>();

  async function insertKey(appName: string, read: boolean, write: boolean, token: string): Promise<ApiKeyRow> {
    const now = Date.now();
    const row: ApiKeyRow = {
      id: uuidv7(),
      app_name: appName,
      token_hash: hashToken(token),
      is_active: true,
      read_access: read,
      write_access: write,
      last_used_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await repo.insert(row);
    } catch (err) {
      // Two creates racing for one app name: the partial unique index decides.
      if (dialect.isUniqueViolation(err)) throw errors.apiKeyAlreadyExists(appName);
      throw err;
    }
    return row;
  }

  return {
    /** Looks the token up by hash on every request, so a deactivation takes effect at once. */
    async authenticate(token: string | undefined): Promise<Caller> {
      if (!token) throw errors.invalidApiKey();
      const row = await repo.findByHash(hashToken(token));
      if (!row || !flag(row.is_active)) throw errors.invalidApiKey();
      const now = Date.now();
      if (now - (lastTouched.get(row.id) ?? row.last_used_at ?? 0) >= TOUCH_INTERVAL_MS) {
        lastTouched.set(row.id, now);
        await repo.touch(row.id, now);
      }
      return { id: row.id, appName: row.app_name, read: flag(row.read_access), write: flag(row.write_access) };
    },

    async create(appName: string, read: boolean, write: boolean): Promise<ApiKeyView & { token: string }> {
      if (!read && !write) throw errors.apiKeyConflict('Cannot create an API key with no access');
      if (await repo.findActiveByApp(appName)) throw errors.apiKeyAlreadyExists(appName);
      const token = generateToken('sq_', 32, 'base64url');
      const row = await insertKey(appName, read, write, token);
      return { ...apiKeyView(row), token };
    },

    async list(activeOnly: boolean): Promise<ApiKeyView[]> {
      return (await repo.list(activeOnly)).map(apiKeyView);
    },

    count: (activeOnly: boolean) => repo.count(activeOnly),

    /** spec §2.1: the self-deactivation guard runs before the existence check */
    async deactivate(id: string, callerId: string | undefined, force: boolean): Promise<ApiKeyView> {
      if (id === callerId && !force) throw errors.apiKeySelfDeactivation();
      const row = isUuid(id) ? await repo.findById(id) : undefined;
      if (!row) throw errors.apiKeyNotFound(id);
      if (!(await repo.deactivate(id, Date.now()))) throw errors.apiKeyConflict(`API key ${id} is already inactive`);
      lastTouched.delete(id);
      return apiKeyView((await repo.findById(id))!);
    },

    /**
     * spec §6 SQUIRREL_BOOTSTRAP_KEY: inserts the token as a read+write key unless its hash is known
     * (a key deactivated later is never reactivated) or the app name already has an active key.
     */
    async applyBootstrapKey(token: string, appName: string): Promise<'inserted' | 'known' | 'app_taken'> {
      if (await repo.findByHash(hashToken(token))) return 'known';
      if (await repo.findActiveByApp(appName)) return 'app_taken';
      await insertKey(appName, true, true, token);
      return 'inserted';
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
