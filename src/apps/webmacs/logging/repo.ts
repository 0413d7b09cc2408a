import type { Kysely } from 'kysely';
import type { LogEntriesTable, WebmacsDatabase } from '../db/schema.ts';

export type LoggingType = LogEntriesTable['logging_type'];
export type StatusType = LogEntriesTable['status_type'];

export interface LogEntryRow {
  id: number;
  public_id: string;
  content: string;
  logging_type: LoggingType;
  status_type: StatusType;
  created_on: number;
  user_public_id: string;
}

export interface LogFilter {
  logging_type?: LoggingType;
  status_type?: StatusType;
}

export function loggingRepo(db: Kysely<WebmacsDatabase>) {
  const withOwner = () =>
    db.selectFrom('log_entries').innerJoin('users', 'users.id', 'log_entries.user_id').selectAll('log_entries').select('users.public_id as user_public_id');
  return {
    async insert(entry: Omit<LogEntriesTable, 'id'>, trx: Kysely<WebmacsDatabase> = db): Promise<void> {
      await trx.insertInto('log_entries').values(entry).execute();
    },
    findByPublicId(publicId: string): Promise<LogEntryRow | undefined> {
      return withOwner().where('log_entries.public_id', '=', publicId).executeTakeFirst() as Promise<LogEntryRow | undefined>;
    },
    async update(id: number, changes: Partial<Pick<LogEntriesTable, 'content' | 'status_type'>>): Promise<void> {
      await db.updateTable('log_entries').set(changes).where('id', '=', id).execute();
    },
    /** Newest first (spec §2.6). */
    async page(filter: LogFilter, limit: number, offset: number): Promise<{ total: number; rows: LogEntryRow[] }> {
      let count = db.selectFrom('log_entries').select((eb) => eb.fn.countAll<number>().as('n'));
      let rows = withOwner().orderBy('log_entries.created_on', 'desc').orderBy('log_entries.id', 'desc').limit(limit).offset(offset);
      if (filter.logging_type) {
        count = count.where('logging_type', '=', filter.logging_type);
        rows = rows.where('log_entries.logging_type', '=', filter.logging_type);
      }
      if (filter.status_type) {
        count = count.where('status_type', '=', filter.status_type);
        rows = rows.where('log_entries.status_type', '=', filter.status_type);
      }
      const [total, data] = await Promise.all([count.executeTakeFirstOrThrow(), rows.execute()]);
      return { total: Number(total.n), rows: data as LogEntryRow[] };
    },
  };
}

export type LoggingRepo = ReturnType<typeof loggingRepo>;
