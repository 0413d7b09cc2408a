import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The app's own Prometheus metrics (spec §4.1 step 6, §4.3, §4.4, §4.5, §4.2), registered on the
 * platform registry behind `/metrics`. One instance per app context; resources record through
 * `wm.metrics`.
 */
export class WebmacsMetrics {
  /** stored rows by the path that ingested them (`rest`, `ws`, `controller`) */
  readonly datapointsIngested: Counter<'source'>;
  /** items dropped by the pipeline (`unknown_event`, `unlinked_event`) and items of writes refused with 422 (`invalid`) */
  readonly datapointsRejected: Counter<'reason'>;
  /** resolve + store of one batch, listeners excluded */
  readonly ingestBatchSeconds: Histogram;
  /** rules that won their cooldown claim, by action (`webhook`, `log`) */
  readonly ruleTriggers: Counter<'action'>;
  /** `sensor.reading` deliveries skipped because the webhook already had too many pending */
  readonly webhookDropped: Counter;
  /** values written to output channels by the built-in controller */
  readonly actuatorWrites: Counter;
  /** points held by the series cache (§4.2) */
  readonly seriesCachePoints: Gauge;
  /** series requests by how the cache answered (`hit`, `fill`, `bypass`, `disabled`) */
  readonly seriesCacheRequests: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.datapointsIngested = new Counter({
      name: 'webmacs_datapoints_ingested_total',
      help: 'Datapoints stored, by ingestion source',
      labelNames: ['source'] as const,
      registers,
    });
    this.datapointsRejected = new Counter({
      name: 'webmacs_datapoints_rejected_total',
      help: 'Datapoints not stored: dropped by the ingestion pipeline, or in a write refused as invalid, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.ingestBatchSeconds = new Histogram({
      name: 'webmacs_ingest_batch_seconds',
      help: 'Time to resolve and store one ingested batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.ruleTriggers = new Counter({
      name: 'webmacs_rule_triggers_total',
      help: 'Rules fired, by action type',
      labelNames: ['action'] as const,
      registers,
    });
    this.webhookDropped = new Counter({
      name: 'webmacs_webhook_dropped_total',
      help: 'sensor.reading deliveries skipped while the webhook had too many pending deliveries',
      registers,
    });
    this.actuatorWrites = new Counter({
      name: 'webmacs_actuator_writes_total',
      help: 'Values written to output channels by the built-in controller',
      registers,
    });
    this.seriesCachePoints = new Gauge({
      name: 'webmacs_series_cache_points',
      help: 'Datapoints held by the series cache',
      registers,
    });
    this.seriesCacheRequests = new Counter({
      name: 'webmacs_series_cache_requests_total',
      help: 'Series lookups per event, by how the cache answered them',
      labelNames: ['outcome'] as const,
      registers,
    });
  }
}
