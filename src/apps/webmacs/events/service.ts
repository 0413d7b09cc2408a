import type { AppDatabase } from '../../../core/db/index.ts';
import { deleteDatapointsInChunks } from '../datapoints/bulk-delete.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors, valueError } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import type { Lab } from '../ingestion/index.ts';
import { nowMicros } from '../time.ts';
import type { EventRow, EventsRepo } from './repo.ts';
import type { EventCreateBody, EventUpdateBody } from './schemas.ts';

export function toEventJson(row: EventRow) {
  return {
    public_id: row.public_id,
    name: row.name,
    min_value: row.min_value,
    max_value: row.max_value,
    unit: row.unit,
    type: row.type,
    user_public_id: row.user_public_id,
  };
}

export interface EventsServiceDeps {
  repo: EventsRepo;
  database: AppDatabase<WebmacsDatabase>;
  lab: Lab;
  deleteChunkRows: number;
}

/** `/api/v1/events` (spec §3.5). */
export function eventsService({ repo, database, lab, deleteChunkRows }: EventsServiceDeps) {
  async function get(publicId: string): Promise<EventRow> {
    const row = isPublicId('evt', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.notFound('Event', publicId);
    return row;
  }

  /** Spec D23: the range must not be inverted, checked on the merged event. */
  function checkRange(minValue: number, maxValue: number, body: unknown): void {
    if (minValue > maxValue) throw valueError(['body'], 'min_value must be less than or equal to max_value', body);
  }

  async function unique<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict('Event');
      throw err;
    }
  }

  return {
    get: async (publicId: string) => toEventJson(await get(publicId)),

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: rows.map(toEventJson) };
    },

    async create(userId: number, body: EventCreateBody): Promise<string> {
      checkRange(body.min_value, body.max_value, body);
      const publicId = newPublicId('evt');
      const { name, min_value, max_value, unit, type } = body;
      await unique(() => repo.insert({ public_id: publicId, name, min_value, max_value, unit, type, user_id: userId, created_on: nowMicros() }));
      lab.events.invalidate();
      return publicId;
    },

    async update(publicId: string, body: EventUpdateBody): Promise<void> {
      const row = await get(publicId);
      checkRange(body.min_value ?? row.min_value, body.max_value ?? row.max_value, body);
      const { name, min_value, max_value, unit, type } = body;
      await unique(() => repo.update(row.id, { name, min_value, max_value, unit, type }));
      lab.events.invalidate();
    },

    async delete(publicId: string): Promise<void> {
      const row = await get(publicId);
      await deleteDatapointsInChunks(database.db, { column: 'event_id', id: row.id }, deleteChunkRows);
      await database.transaction((trx) => repo.delete(row.id, trx));
      lab.series.invalidate([row.id]);
      lab.events.invalidate();
      lab.rules.invalidate();
    },
  };
}

export type EventsService = ReturnType<typeof eventsService>;
