import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../db/schema.ts';
import { newPublicId } from '../ids.ts';
import { errors } from '../errors.ts';
import { isoZ, nowMicros } from '../time.ts';
import type { LogEntryRow, LogFilter, LoggingRepo, LoggingType, StatusType } from './repo.ts';

export function toLogEntryJson(row: LogEntryRow) {
  return {
    public_id: row.public_id,
    content: row.content,
    logging_type: row.logging_type,
    status_type: row.status_type,
    created_on: isoZ(row.created_on),
    user_public_id: row.user_public_id,
  };
}

/**
 * The log other resources write to (logins, experiments, rules, health changes: spec §3.8) as well as
 * the `/logging` resource itself. System entries are attributed to the acting user or the first admin.
 */
export function loggingService(repo: LoggingRepo) {
  async function write(userId: number, content: string, loggingType: LoggingType = 'info', trx?: Kysely<WebmacsDatabase>): Promise<string> {
    const publicId = newPublicId('log');
    const entry = { public_id: publicId, content, logging_type: loggingType, status_type: 'unread' as const, created_on: nowMicros(), user_id: userId };
    await repo.insert(entry, trx);
    return publicId;
  }

  async function get(publicId: string) {
    const row = await repo.findByPublicId(publicId);
    if (!row) throw errors.notFound('LogEntry', publicId);
    return row;
  }

  return {
    write,
    async list(filter: LogFilter, limit: number, offset: number) {
      const { total, rows } = await repo.page(filter, limit, offset);
      return { total, data: rows.map(toLogEntryJson) };
    },
    async update(publicId: string, changes: { content?: string; status_type?: StatusType }): Promise<void> {
      const row = await get(publicId);
      await repo.update(row.id, changes);
    },
  };
}

export type LoggingService = ReturnType<typeof loggingService>;
