import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { UsersTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

/** A user as stored (spec §7). */
export type UserRow = Selectable<UsersTable>;

export type NewUser = Omit<UsersTable, 'id'>;
export type UserChanges = Partial<Pick<UserRow, 'email' | 'username' | 'password_hash' | 'role' | 'password_changed_at' | 'sso_provider' | 'sso_subject_id'>>;

/** Tables whose `user_id` owns a row that survives its user's deletion (D20): ownership moves to the deleting admin. */
const OWNED_TABLES = ['events', 'experiments', 'log_entries', 'webhooks', 'rules', 'firmware_updates', 'plugin_instances', 'plugin_packages'] as const;

export function usersRepo(db: Kysely<WebmacsDatabase>) {
  return {
    findById(id: number, trx: Db = db): Promise<UserRow | undefined> {
      return trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst() as Promise<UserRow | undefined>;
    },
    findByPublicId(publicId: string, trx: Db = db): Promise<UserRow | undefined> {
      return trx.selectFrom('users').selectAll().where('public_id', '=', publicId).executeTakeFirst() as Promise<UserRow | undefined>;
    },
    findByEmail(email: string, trx: Db = db): Promise<UserRow | undefined> {
      return trx
        .selectFrom('users')
        .selectAll()
        .where(sql`lower(email)`, '=', email.toLowerCase())
        .executeTakeFirst() as Promise<UserRow | undefined>;
    },
    findBySso(provider: string, subject: string): Promise<UserRow | undefined> {
      return db
        .selectFrom('users')
        .selectAll()
        .where('sso_provider', '=', provider)
        .where('sso_subject_id', '=', subject)
        .executeTakeFirst() as Promise<UserRow | undefined>;
    },
    async usernameTaken(username: string): Promise<boolean> {
      return (await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()) !== undefined;
    },
    async count(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async countAdmins(trx: Db = db): Promise<number> {
      const row = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** The first admin by id: the owner of system-generated rows (startup log, health changes). */
    firstAdmin(): Promise<UserRow | undefined> {
      return db.selectFrom('users').selectAll().where('role', '=', 'admin').orderBy('id').limit(1).executeTakeFirst() as Promise<UserRow | undefined>;
    },
    list(limit: number, offset: number): Promise<UserRow[]> {
      return db.selectFrom('users').selectAll().orderBy('id').limit(limit).offset(offset).execute() as Promise<UserRow[]>;
    },
    async insert(user: NewUser, trx: Db = db): Promise<UserRow> {
      return (await trx.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow()) as UserRow;
    },
    async update(id: number, changes: UserChanges, trx: Db = db): Promise<void> {
      await trx.updateTable('users').set(changes).where('id', '=', id).execute();
    },
    /** Deletes a user after moving what they own to `heirId` and dropping what is theirs alone (D20). */
    async deleteTransferring(id: number, heirId: number, trx: Db): Promise<void> {
      for (const table of OWNED_TABLES) {
        await trx.updateTable(table).set({ user_id: heirId }).where('user_id', '=', id).execute();
      }
      // Global dashboards are shared with everyone, so they stay (with the heir); private ones go.
      await trx.deleteFrom('dashboards').where('user_id', '=', id).where('is_global', '=', false).execute();
      await trx.updateTable('dashboards').set({ user_id: heirId }).where('user_id', '=', id).execute();
      await trx.deleteFrom('users').where('id', '=', id).execute();
    },
  };
}

export type UsersRepo = ReturnType<typeof usersRepo>;
