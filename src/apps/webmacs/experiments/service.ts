import type { AppDatabase } from '../../../core/db/index.ts';
import { deleteDatapointsInChunks } from '../datapoints/bulk-delete.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import type { Lab } from '../ingestion/index.ts';
import type { LoggingService } from '../logging/service.ts';
import { isoZ, isoZOrNull, nowMicros } from '../time.ts';
import { exportContentDisposition } from './csv.ts';
import { experimentCsv } from './export.ts';
import type { ExperimentRow, ExperimentsRepo } from './repo.ts';

export function toExperimentJson(row: ExperimentRow) {
  return {
    public_id: row.public_id,
    name: row.name,
    started_on: isoZ(row.started_on),
    stopped_on: isoZOrNull(row.stopped_on),
    user_public_id: row.user_public_id,
  };
}

export interface ExperimentsServiceDeps {
  repo: ExperimentsRepo;
  database: AppDatabase<WebmacsDatabase>;
  lab: Lab;
  log: LoggingService;
  deleteChunkRows: number;
}

/** `/api/v1/experiments` (spec §3.6): several may run; the newest running one tags new data (D16). */
export function experimentsService({ repo, database, lab, log, deleteChunkRows }: ExperimentsServiceDeps) {
  async function get(publicId: string): Promise<ExperimentRow> {
    const row = isPublicId('exp', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.notFound('Experiment', publicId);
    return row;
  }

  async function unique(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict('Experiment');
      throw err;
    }
  }

  function lifecycle(type: 'experiment.started' | 'experiment.stopped', row: Pick<ExperimentRow, 'name' | 'public_id'>, at: number): void {
    lab.webhooks.emit(type, { time: at, experiment: row.name, experiment_public_id: row.public_id });
  }

  return {
    get: async (publicId: string) => toExperimentJson(await get(publicId)),

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: rows.map(toExperimentJson) };
    },

    async create(userId: number, name: string): Promise<string> {
      const publicId = newPublicId('exp');
      const startedOn = nowMicros();
      await unique(() => repo.insert({ public_id: publicId, name, started_on: startedOn, stopped_on: null, user_id: userId }));
      lab.experiments.invalidate();
      await log.write(userId, `Experiment '${name}' started.`);
      lifecycle('experiment.started', { name, public_id: publicId }, startedOn);
      return publicId;
    },

    async update(publicId: string, name: string | undefined): Promise<void> {
      const row = await get(publicId);
      if (name !== undefined) await unique(() => repo.rename(row.id, name));
    },

    async stop(userId: number, publicId: string): Promise<void> {
      const row = await get(publicId);
      const stoppedOn = nowMicros();
      if (!(await repo.stop(row.id, stoppedOn))) return;
      lab.experiments.invalidate();
      await log.write(userId, `Experiment '${row.name}' stopped.`);
      lifecycle('experiment.stopped', row, stoppedOn);
    },

    async delete(publicId: string): Promise<void> {
      const row = await get(publicId);
      await deleteDatapointsInChunks(database.db, { column: 'experiment_id', id: row.id }, deleteChunkRows);
      await database.transaction((trx) => repo.delete(row.id, trx));
      // its points may be in any event's entry
      lab.series.invalidate();
      lab.experiments.invalidate();
    },

    async export(publicId: string) {
      const row = await get(publicId);
      return { contentDisposition: exportContentDisposition(row.name, row.public_id), lines: experimentCsv(repo, row.id) };
    },
  };
}
