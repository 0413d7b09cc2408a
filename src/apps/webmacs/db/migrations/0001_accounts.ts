import { sql, type Migration } from 'kysely';
import { withId, type AnyKysely } from '../dialect.ts';

/** Users and everything that authenticates them, plus the system log and small app state (spec §7). */
export const accounts: Migration = {
  async up(db: AnyKysely) {
    await withId(db, db.schema.createTable('users'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('registered_on', 'bigint', (c) => c.notNull())
      .addColumn('password_changed_at', 'bigint')
      .addColumn('sso_provider', 'text')
      .addColumn('sso_subject_id', 'text')
      .execute();
    // Emails are unique and matched case-insensitively (D38).
    await db.schema.createIndex('users_email_lower_key').on('users').unique().expression(sql`lower(email)`).execute();
    await db.schema.createIndex('users_sso_key').on('users').unique().columns(['sso_provider', 'sso_subject_id']).execute();

    await db.schema
      .createTable('revoked_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('revoked_tokens_expires_idx').on('revoked_tokens').column('expires_at').execute();

    await withId(db, db.schema.createTable('api_tokens'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').columns(['user_id', 'created_at']).execute();

    await db.schema
      .createTable('sso_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();

    await withId(db, db.schema.createTable('log_entries'))
      .addColumn('public_id', 'text', (c) => c.notNull().unique())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('logging_type', 'text', (c) => c.notNull())
      .addColumn('status_type', 'text', (c) => c.notNull())
      .addColumn('created_on', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('restrict'))
      .execute();
    await db.schema.createIndex('log_entries_created_idx').on('log_entries').columns(['created_on', 'id']).execute();

    await db.schema
      .createTable('app_state')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
