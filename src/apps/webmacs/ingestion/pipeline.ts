import type { Logger } from 'pino';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import type { WebmacsMetrics } from '../metrics.ts';
import { nowMicros } from '../time.ts';
import type { EventIndex, IndexedEvent } from './event-index.ts';
import type { IngestionRepo } from './repo.ts';
import type { RunningExperimentCache } from './running-experiment.ts';

export type IngestSource = 'rest' | 'ws' | 'controller';

export interface IngestItem {
  value: number;
  eventPublicId: string;
  /** µs; the request's server time when absent */
  ts?: number;
}

export interface AcceptedPoint {
  id: number;
  /** `event.id`, so that an accepted point is also the series cache's point as it is */
  eventId: number;
  event: IndexedEvent;
  ts: number;
  value: number;
  experimentId: number | null;
  experimentPublicId: string | null;
}

const REJECTION_REASONS = ['unknown_event', 'unlinked_event'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface IngestResult {
  accepted: AcceptedPoint[];
  rejected: number;
  /** distinct rejected event ids in input order, each with its first reason */
  rejectedEvents: Map<string, RejectionReason>;
}

/** Written in the ingest transaction so a replay finds exactly what was committed (spec §3.7). */
export interface IdempotencyRecord {
  userId: number;
  key: string;
  requestSha256: string;
  respond(result: IngestResult): { statusCode: number; body: unknown };
}

export type CommittedListener = (accepted: readonly AcceptedPoint[], source: IngestSource) => void | Promise<void>;

export interface PipelineOptions {
  database: AppDatabase<WebmacsDatabase>;
  repo: IngestionRepo;
  eventIndex: EventIndex;
  experiments: RunningExperimentCache;
  requirePluginLink: boolean;
  logger: Logger;
  metrics: WebmacsMetrics;
}

/**
 * The one ingestion path of spec §4.1 shared by REST, the telemetry socket and the built-in
 * controller: resolve, filter by link, stamp, store atomically, then notify listeners (bus, webhooks,
 * rules, broadcast) in registration order. Listeners run after commit and can never fail the request.
 */
export class IngestionPipeline {
  private readonly listeners: CommittedListener[] = [];

  constructor(private readonly options: PipelineOptions) {}

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener);
  }

  async ingest(items: readonly IngestItem[], source: IngestSource, idempotency?: IdempotencyRecord): Promise<IngestResult> {
    const { eventIndex, experiments, requirePluginLink, database, repo, metrics } = this.options;
    const endTimer = metrics.ingestBatchSeconds.startTimer();
    const [events, experiment] = await Promise.all([eventIndex.events(), experiments.current()]);
    const serverTime = nowMicros();
    const experimentId = experiment?.id ?? null;
    const experimentPublicId = experiment?.publicId ?? null;
    const rejectedEvents = new Map<string, RejectionReason>();
    const rejectedBy: Record<RejectionReason, number> = { unknown_event: 0, unlinked_event: 0 };
    // The points and the insert's columns are built in one pass: this loop runs for every ingested point.
    const accepted: AcceptedPoint[] = [];
    const columns = { eventId: [] as number[], ts: [] as number[], value: [] as number[], experimentId };
    for (const item of items) {
      const event = events.get(item.eventPublicId);
      const reason: RejectionReason | undefined = !event ? 'unknown_event' : requirePluginLink && !event.linked ? 'unlinked_event' : undefined;
      if (reason || !event) {
        const rejection = reason ?? 'unknown_event';
        if (!rejectedEvents.has(item.eventPublicId)) rejectedEvents.set(item.eventPublicId, rejection);
        rejectedBy[rejection]++;
        continue;
      }
      const ts = item.ts ?? serverTime;
      accepted.push({ id: 0, eventId: event.id, event, ts, value: item.value, experimentId, experimentPublicId });
      columns.eventId.push(event.id);
      columns.ts.push(ts);
      columns.value.push(item.value);
    }
    for (const reason of REJECTION_REASONS) if (rejectedBy[reason]) metrics.datapointsRejected.inc({ reason }, rejectedBy[reason]);
    const result: IngestResult = { accepted: [], rejected: items.length - accepted.length, rejectedEvents };
    if (accepted.length === 0 && !idempotency) {
      endTimer();
      return result;
    }
    await database.transaction(async (trx) => {
      const ids = accepted.length ? await repo.insertDatapoints(trx, columns) : [];
      for (let i = 0; i < accepted.length; i++) accepted[i]!.id = ids[i]!;
      result.accepted = accepted;
      if (idempotency) {
        const response = idempotency.respond(result);
        await repo.storeResponse(trx, {
          user_id: idempotency.userId,
          key: idempotency.key,
          request_sha256: idempotency.requestSha256,
          status_code: response.statusCode,
          body: JSON.stringify(response.body),
          created_at: serverTime,
        });
      }
    });
    endTimer();
    if (accepted.length) {
      metrics.datapointsIngested.inc({ source }, accepted.length);
      await this.notify(accepted, source);
    }
    return result;
  }

  /**
   * Listeners run in order; one that returns a promise (rule evaluation) is awaited so a client sees
   * its effects when the write returns, but a failure is only logged: the data is committed already.
   */
  private async notify(accepted: readonly AcceptedPoint[], source: IngestSource): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(accepted, source);
      } catch (err) {
        this.options.logger.error({ err }, 'ingestion listener failed');
      }
    }
  }
}

/** Each event's latest point of a batch: max timestamp, ties → the later one in input order (spec §4.1). */
export function latestPerEvent(accepted: readonly AcceptedPoint[]): AcceptedPoint[] {
  const latest = new Map<number, AcceptedPoint>();
  for (const point of accepted) {
    const current = latest.get(point.event.id);
    if (!current || point.ts >= current.ts) latest.set(point.event.id, point);
  }
  return [...latest.values()];
}
