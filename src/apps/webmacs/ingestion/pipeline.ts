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
  event: IndexedEvent;
  ts: number;
  value: number;
  experimentId: number | null;
  experimentPublicId: string | null;
}

export type RejectionReason = 'unknown_event' | 'unlinked_event';

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
    const rejectedEvents = new Map<string, RejectionReason>();
    const kept: Array<{ event: IndexedEvent; ts: number; value: number }> = [];
    for (const item of items) {
      const event = events.get(item.eventPublicId);
      const reason: RejectionReason | undefined = !event ? 'unknown_event' : requirePluginLink && !event.linked ? 'unlinked_event' : undefined;
      if (reason || !event) {
        if (!rejectedEvents.has(item.eventPublicId)) rejectedEvents.set(item.eventPublicId, reason ?? 'unknown_event');
        metrics.datapointsRejected.inc({ reason: reason ?? 'unknown_event' });
        continue;
      }
      kept.push({ event, ts: item.ts ?? serverTime, value: item.value });
    }
    const experimentId = experiment?.id ?? null;
    const result: IngestResult = { accepted: [], rejected: items.length - kept.length, rejectedEvents };
    if (kept.length === 0 && !idempotency) {
      endTimer();
      return result;
    }
    await database.transaction(async (trx) => {
      const rows = kept.map((point) => ({ event_id: point.event.id, ts: point.ts, value: point.value, experiment_id: experimentId }));
      const ids = rows.length ? await repo.insertDatapoints(trx, rows) : [];
      result.accepted = kept.map((point, i) => ({ ...point, id: ids[i]!, experimentId, experimentPublicId: experiment?.publicId ?? null }));
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
    if (result.accepted.length) {
      metrics.datapointsIngested.inc({ source }, result.accepted.length);
      await this.notify(result.accepted, source);
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
