import type { AppDatabase } from '../../../core/db/index.ts';
import type { Role, WebmacsDatabase } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isoZ, nowMicros } from '../time.ts';
import { newPublicId } from '../ids.ts';
import type { CachedUsersRepo } from './cache.ts';
import type { UserChanges, UserRow } from './repo.ts';
import type { UserCreateBody, UserUpdateBody } from './schemas.ts';

/** The User object (spec §3.0; `created_on` and `registered_on` both present, D3). */
export function toUserJson(user: UserRow) {
  const registered = isoZ(Number(user.registered_on));
  return {
    public_id: user.public_id,
    email: user.email,
    username: user.username,
    role: user.role,
    admin: user.role === 'admin',
    sso_provider: user.sso_provider,
    created_on: registered,
    registered_on: registered,
  };
}

export function usersService(repo: CachedUsersRepo, database: AppDatabase<WebmacsDatabase>, hashPassword: (password: string) => Promise<string>) {
  /** Unique email (case-insensitive) and username; a race still ends in the unique index → 409, never 500 (D5). */
  async function conflictGuard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict('User');
      throw err;
    }
  }

  async function get(publicId: string): Promise<UserRow> {
    const user = await repo.findByPublicId(publicId);
    if (!user) throw errors.notFound('User', publicId);
    return user;
  }

  return {
    get,
    async list(limit: number, offset: number) {
      const [total, rows] = await Promise.all([repo.count(), repo.list(limit, offset)]);
      return { total, data: rows.map(toUserJson) };
    },
    async create(body: UserCreateBody, extra: Partial<Pick<UserRow, 'sso_provider' | 'sso_subject_id'>> = {}): Promise<UserRow> {
      if (await repo.findByEmail(body.email)) throw errors.conflict('User');
      if (await repo.usernameTaken(body.username)) throw errors.conflict('User');
      const passwordHash = await hashPassword(body.password);
      return conflictGuard(() =>
        repo.insert({
          public_id: newPublicId('usr'),
          email: body.email,
          username: body.username,
          password_hash: passwordHash,
          role: (body.role ?? 'viewer') as Role,
          registered_on: nowMicros(),
          password_changed_at: null,
          sso_provider: extra.sso_provider ?? null,
          sso_subject_id: extra.sso_subject_id ?? null,
        }),
      );
    },
    async update(publicId: string, body: UserUpdateBody): Promise<void> {
      const user = await get(publicId);
      const changes: UserChanges = {};
      if (body.email !== undefined && body.email.toLowerCase() !== user.email.toLowerCase()) {
        if (await repo.findByEmail(body.email)) throw errors.conflict('User');
      }
      if (body.email !== undefined) changes.email = body.email;
      if (body.username !== undefined && body.username !== user.username) {
        if (await repo.usernameTaken(body.username)) throw errors.conflict('User');
        changes.username = body.username;
      }
      if (body.password !== undefined) {
        changes.password_hash = await hashPassword(body.password);
        changes.password_changed_at = nowMicros();
      }
      if (body.role !== undefined) changes.role = body.role;
      await conflictGuard(() =>
        database.transaction(async (trx) => {
          // Checked inside the write so two concurrent demotions cannot both pass.
          if (user.role === 'admin' && changes.role !== undefined && changes.role !== 'admin' && (await repo.countAdmins(trx)) <= 1) {
            throw errors.lastAdmin();
          }
          if (Object.keys(changes).length) await repo.update(user.id, changes, trx);
        }),
      );
      repo.changed();
    },
    /** D20: tokens, SSO codes and private dashboards go with the user; everything else passes to the admin deleting them. */
    async delete(publicId: string, actingAdmin: UserRow): Promise<void> {
      const user = await get(publicId);
      if (user.id === actingAdmin.id) throw errors.cannotDeleteSelf();
      await database.transaction(async (trx) => {
        if (user.role === 'admin' && (await repo.countAdmins(trx)) <= 1) throw errors.lastAdmin();
        await repo.deleteTransferring(user.id, actingAdmin.id, trx);
      });
      repo.changed();
    },
  };
}

export type UsersService = ReturnType<typeof usersService>;
