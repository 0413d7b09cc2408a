import { createHash } from 'node:crypto';
import type { Counter } from 'prom-client';
import { errors, invalidDatetime, valueError } from '../errors.ts';
import { datapointPublicId, datapointRowId } from '../ids.ts';
import type { Lab } from '../ingestion/index.ts';
import type { IdempotencyRecord, IngestItem, IngestResult } from '../ingestion/pipeline.ts';
import type { IngestionRepo } from '../ingestion/repo.ts';
import { isoZ, nowMicros, parseInputDatetime } from '../time.ts';
import { downsampleIndices, type DownsampleMethod } from './downsample.ts';
import type { DatapointRow, DatapointsRepo } from './repo.ts';
import type { DatapointCreateBody } from './schemas.ts';

export function toDatapointJson(row: DatapointRow) {
  return {
    public_id: datapointPublicId(row.id),
    value: row.value,
    timestamp: isoZ(row.ts),
    event_public_id: row.event_public_id,
    experiment_public_id: row.experiment_public_id,
  };
}

/** Distinct rejected event ids reported by a batch response (spec §3.7). */
const MAX_REPORTED_REJECTIONS = 20;

export interface StoredReply {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

export interface DatapointsServiceDeps {
  repo: DatapointsRepo;
  ingestion: IngestionRepo;
  lab: Lab;
  futureToleranceS: number;
  /** `webmacs_series_cache_requests_total{outcome}` */
  seriesRequests: Counter<'outcome'>;
}

/** `/api/v1/datapoints` (spec §3.7): writes go through the shared ingestion pipeline. */
export function datapointsService({ repo, ingestion, lab, futureToleranceS, seriesRequests }: DatapointsServiceDeps) {
  /** Client timestamps: any past instant since 1970, at most the tolerance ahead (spec D17). */
  function toItem(body: DatapointCreateBody, loc: (string | number)[]): IngestItem {
    const item: IngestItem = { value: body.value, eventPublicId: body.event_public_id };
    if (body.timestamp === undefined || body.timestamp === null) return item;
    const ts = parseInputDatetime(body.timestamp);
    if (ts === undefined) throw invalidDatetime([...loc, 'timestamp'], body.timestamp);
    if (ts < 0) throw valueError([...loc, 'timestamp'], 'timestamp must not be before 1970-01-01', body.timestamp);
    if (ts > nowMicros() + futureToleranceS * 1_000_000) {
      throw valueError([...loc, 'timestamp'], `timestamp must not be more than ${futureToleranceS} seconds in the future`, body.timestamp);
    }
    return { ...item, ts };
  }

  /**
   * Runs a write once per Idempotency-Key (spec §3.7): a repeat replays the stored reply, a different
   * body under the same key is refused, and two concurrent first uses store one reply (the loser replays).
   */
  async function idempotent(
    userId: number,
    key: string | undefined,
    body: unknown,
    write: (record: IdempotencyRecord | undefined) => Promise<{ statusCode: number; body: unknown }>,
    respond: IdempotencyRecord['respond'],
  ): Promise<StoredReply> {
    if (key === undefined) return { ...(await write(undefined)), replayed: false };
    const requestSha256 = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const replay = async (): Promise<StoredReply | undefined> => {
      const stored = await ingestion.findResponse(userId, key);
      if (!stored) return undefined;
      if (stored.request_sha256 !== requestSha256) throw errors.idempotencyKeyReused();
      return { statusCode: stored.status_code, body: JSON.parse(stored.body) as unknown, replayed: true };
    };
    const earlier = await replay();
    if (earlier) return earlier;
    try {
      return { ...(await write({ userId, key, requestSha256, respond })), replayed: false };
    } catch (err) {
      const concurrent = await replay().catch(() => undefined);
      if (concurrent) return concurrent;
      throw err;
    }
  }

  function singleReply(result: IngestResult) {
    const [point] = result.accepted;
    return { statusCode: 201, body: { status: 'success', message: '1 datapoint successfully created.', public_id: point ? datapointPublicId(point.id) : null } };
  }

  function batchReply(result: IngestResult) {
    const count = result.accepted.length;
    return {
      statusCode: 201,
      body: {
        status: 'success',
        message: `${count} datapoints successfully created.`,
        accepted: count,
        rejected: result.rejected,
        rejected_events: [...result.rejectedEvents.keys()].slice(0, MAX_REPORTED_REJECTIONS),
      },
    };
  }

  async function eventSeries(eventId: number, eventPublicId: string, { cut, now }: { cut: number; now: number }, maxPoints: number, method: DownsampleMethod) {
    const cached = await lab.series.lookup(eventId, cut, now);
    seriesRequests.inc({ outcome: cached.outcome });
    if (cached.columns) {
      const { ts, value, id, experimentId } = cached.columns;
      return downsampleIndices(method, cached.columns, maxPoints).map((i) =>
        toDatapointJson({ id: id[i]!, ts: ts[i]!, value: value[i]!, event_public_id: eventPublicId, experiment_public_id: lab.series.experimentPublicId(experimentId[i]!) }),
      );
    }
    const rows = await repo.window(eventId, cut);
    const kept = downsampleIndices(method, { length: rows.length, ts: rows.map((r) => r.ts), value: rows.map((r) => r.value) }, maxPoints);
    return kept.map((i) => toDatapointJson(rows[i]!));
  }

  return {
    async createOne(userId: number, body: DatapointCreateBody, idempotencyKey: string | undefined): Promise<StoredReply> {
      const item = toItem(body, ['body']);
      return idempotent(
        userId,
        idempotencyKey,
        body,
        async (record) => {
          const result = await lab.pipeline.ingest([item], 'rest', record);
          const reason = result.rejectedEvents.get(item.eventPublicId);
          if (reason === 'unknown_event') throw errors.eventNotFound();
          if (reason === 'unlinked_event') throw errors.eventNotLinked();
          return singleReply(result);
        },
        singleReply,
      );
    },

    async createMany(userId: number, bodies: DatapointCreateBody[], idempotencyKey: string | undefined): Promise<StoredReply> {
      const items = bodies.map((body, i) => toItem(body, ['body', 'datapoints', i]));
      return idempotent(userId, idempotencyKey, bodies, async (record) => batchReply(await lab.pipeline.ingest(items, 'rest', record)), batchReply);
    },

    async get(publicId: string) {
      const rowId = datapointRowId(publicId);
      const row = rowId === undefined ? undefined : await repo.findById(rowId);
      if (!row) throw errors.notFound('Datapoint', publicId);
      return toDatapointJson(row);
    },

    async delete(publicId: string): Promise<void> {
      const rowId = datapointRowId(publicId);
      const eventId = rowId === undefined ? undefined : await repo.delete(rowId);
      if (eventId === undefined) throw errors.notFound('Datapoint', publicId);
      lab.series.invalidate([eventId]);
    },

    async list(filter: { event_public_id?: string; experiment_public_id?: string }, limit: number, offset: number) {
      const event = filter.event_public_id === undefined ? undefined : await lab.events.get(filter.event_public_id);
      const experiment = filter.experiment_public_id === undefined ? undefined : await repo.experimentIdOf(filter.experiment_public_id);
      const unknownFilter = (filter.event_public_id !== undefined && !event) || (filter.experiment_public_id !== undefined && !experiment);
      if (unknownFilter) return { total: 0, data: [] };
      const { total, rows } = await repo.page({ eventId: event?.id, experimentId: experiment ? Number(experiment.id) : undefined }, limit, offset);
      return { total, data: rows.map(toDatapointJson) };
    },

    async latest(eventPublicIds: string[] | undefined) {
      let eventIds: number[] | undefined;
      if (eventPublicIds) {
        const events = await lab.events.events();
        eventIds = eventPublicIds.flatMap((id) => {
          const event = events.get(id);
          return event ? [event.id] : [];
        });
      }
      return (await repo.latest(eventIds)).map(toDatapointJson);
    },

    /**
     * One key per distinct requested id, ascending points within the window, downsampled (spec §3.7);
     * from the series cache when it holds the window (§4.2), else from the database — same rows either way.
     */
    async series(eventPublicIds: string[], minutes: number, maxPoints: number, method: DownsampleMethod) {
      const now = nowMicros();
      const cut = now - minutes * 60_000_000;
      const series: Record<string, ReturnType<typeof toDatapointJson>[]> = {};
      for (const publicId of new Set(eventPublicIds)) {
        const event = await lab.events.get(publicId);
        series[publicId] = event ? await eventSeries(event.id, publicId, { cut, now }, maxPoints, method) : [];
      }
      return series;
    },
  };
}
