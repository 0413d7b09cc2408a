import type { Kysely } from 'kysely';
import type { FirmwareUpdatesTable, WebmacsDatabase } from '../db/schema.ts';

export interface FirmwareRow extends Omit<FirmwareUpdatesTable, 'id'> {
  id: number;
  user_public_id: string;
}

export type FirmwareChanges = Partial<Omit<FirmwareUpdatesTable, 'id' | 'public_id' | 'version' | 'user_id' | 'created_on'>>;

export function otaRepo(db: Kysely<WebmacsDatabase>) {
  const withOwner = () =>
    db.selectFrom('firmware_updates').innerJoin('users', 'users.id', 'firmware_updates.user_id').selectAll('firmware_updates').select('users.public_id as user_public_id');
  const normalise = (row: FirmwareRow): FirmwareRow => ({ ...row, id: Number(row.id), file_size_bytes: row.file_size_bytes === null ? null : Number(row.file_size_bytes) });
  return {
    async findByPublicId(publicId: string): Promise<FirmwareRow | undefined> {
      const row = (await withOwner().where('firmware_updates.public_id', '=', publicId).executeTakeFirst()) as FirmwareRow | undefined;
      return row && normalise(row);
    },
    async page(limit: number, offset: number): Promise<{ total: number; rows: FirmwareRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('firmware_updates').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        withOwner().orderBy('firmware_updates.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows: (rows as FirmwareRow[]).map(normalise) };
    },
    async inStatus(statuses: string[]): Promise<FirmwareRow[]> {
      const rows = await withOwner().where('firmware_updates.status', 'in', statuses).execute();
      return (rows as FirmwareRow[]).map(normalise);
    },
    async insert(row: Omit<FirmwareUpdatesTable, 'id'>): Promise<void> {
      await db.insertInto('firmware_updates').values(row).execute();
    },
    async update(id: number, changes: FirmwareChanges): Promise<void> {
      await db.updateTable('firmware_updates').set(changes).where('id', '=', id).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('firmware_updates').where('id', '=', id).execute();
    },
    /** Spec §4.8: a download cut short by a crash is failed at the next start. */
    async failInterrupted(message: string): Promise<void> {
      await db
        .updateTable('firmware_updates')
        .set({ status: 'failed', error_message: message })
        .where('status', 'in', ['downloading', 'verifying', 'applying'])
        .execute();
    },
  };
}

export type OtaRepo = ReturnType<typeof otaRepo>;
