import { createHash } from 'node:crypto';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { EventBus } from '../../../core/events/index.ts';
import { createSsrfGuard } from '../../../core/outbound/index.ts';
import type { WebmacsContext } from '../context.ts';
import { datapointsRepo } from '../datapoints/repo.ts';
import { SeriesCache, type CachedPoint } from '../datapoints/series-cache.ts';
import { datapointPublicId } from '../ids.ts';
import { isoOffset, nowMicros } from '../time.ts';
import { CLOSE } from '../ws/connection.ts';
import { RuleEvaluator } from '../rules/evaluator.ts';
import { rulesRepo } from '../rules/repo.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { webhooksRepo } from '../webhooks/repo.ts';
import { StreamHub, type StreamPoint } from '../ws/hub.ts';
import { EventIndex } from './event-index.ts';
import { IngestionPipeline, latestPerEvent, type AcceptedPoint } from './pipeline.ts';
import { KeyedThrottle } from './throttle.ts';
import { ingestionRepo } from './repo.ts';
import { RunningExperimentCache } from './running-experiment.ts';

/**
 * Topics about stored data (spec §4.9): `datapoints` carries the accepted rows of every batch for the
 * other instances' sockets and series caches, `invalidate` the cache entries to drop. They name the
 * database, so only instances serving the same data share them, even on one Redis.
 */
function dataTopic(database: AppDatabase, kind: 'datapoints' | 'invalidate'): string {
  const location = database.schema ?? database.file ?? database.appId;
  return `webmacs.${kind}.${createHash('sha256').update(location).digest('hex').slice(0, 16)}`;
}

interface InvalidateMessage {
  /** null: every entry */
  eventIds: number[] | null;
}

/**
 * Tells every instance serving `database` to drop its series cache entries for these events (all of
 * them without `eventIds`): stored datapoints went away, here or in another process such as the CLI.
 */
export function announceDatapointsRemoved(bus: EventBus, database: AppDatabase, eventIds?: readonly number[]): void {
  bus.publish<InvalidateMessage>(dataTopic(database, 'invalidate'), { eventIds: eventIds ? [...eventIds] : null });
}

/** The series cache advances its window this often (spec §4.2). */
const SERIES_TRIM_INTERVAL_MS = 60_000;

/** What the lab resources (events, experiments, datapoints, sockets, rules, webhooks, plugins) share. */
export interface Lab {
  events: EventIndex;
  experiments: RunningExperimentCache;
  pipeline: IngestionPipeline;
  stream: StreamHub;
  webhooks: WebhookDispatcher;
  rules: RuleEvaluator;
  /** the hot series window (§4.2); call `invalidate` after removing stored datapoints */
  series: SeriesCache;
}

interface DatapointsMessage {
  points: StreamPoint[];
  rows: CachedPoint[];
}

function toCachedPoint(point: AcceptedPoint): CachedPoint {
  return { eventId: point.event.id, id: point.id, ts: point.ts, value: point.value, experimentId: point.experimentId, experimentPublicId: point.experimentPublicId };
}

function toStreamPoint(point: AcceptedPoint): StreamPoint {
  return {
    value: point.value,
    event_public_id: point.event.publicId,
    timestamp: isoOffset(point.ts),
    experiment_public_id: point.experimentPublicId,
    public_id: datapointPublicId(point.id),
  };
}

export function createLab(wm: WebmacsContext): Lab {
  const { app, settings } = wm;
  const events = new EventIndex(wm.db, app.bus);
  const experiments = new RunningExperimentCache(wm.db, app.bus);
  const pipeline = new IngestionPipeline({
    database: wm.database,
    repo: ingestionRepo(wm.db),
    eventIndex: events,
    experiments,
    requirePluginLink: settings.WEBMACS_REQUIRE_PLUGIN_LINK,
    logger: app.logger.child({ component: 'ingestion' }),
    metrics: wm.metrics,
  });
  const webhooks = new WebhookDispatcher({
    database: wm.database,
    repo: webhooksRepo(wm.db),
    outbound: app.outbound,
    guard: createSsrfGuard({ allowLoopback: settings.WEBMACS_WEBHOOK_ALLOW_LOOPBACK }),
    logger: app.logger.child({ component: 'webhooks' }),
    userAgent: `burrow-webmacs/${settings.WEBMACS_VERSION}`,
    maxPending: settings.WEBMACS_WEBHOOK_MAX_PENDING,
    dropped: wm.metrics.webhookDropped,
  });
  const rules = new RuleEvaluator({
    database: wm.database,
    repo: rulesRepo(wm.db),
    webhooks,
    bus: app.bus,
    logger: app.logger.child({ component: 'rules' }),
    triggers: wm.metrics.ruleTriggers,
  });
  const stream = new StreamHub({
    broadcastIntervalMs: settings.WEBMACS_BROADCAST_INTERVAL_MS,
    maxBufferedBytes: settings.WEBMACS_WS_MAX_BUFFERED_BYTES,
  });

  const series = new SeriesCache({
    maxPoints: settings.WEBMACS_SERIES_CACHE_MAX_POINTS,
    windowMinutes: settings.WEBMACS_SERIES_CACHE_WINDOW_MINUTES,
    loadWindow: datapointsRepo(wm.db).windowColumns,
    now: nowMicros,
    announce: (eventIds) => announceDatapointsRemoved(app.bus, wm.database, eventIds),
    pointsGauge: wm.metrics.seriesCachePoints,
  });
  const trimSeries = setInterval(() => series.trim(), SERIES_TRIM_INTERVAL_MS).unref();
  const unsubscribeInvalidate = app.bus.subscribe<InvalidateMessage>(dataTopic(wm.database, 'invalidate'), (message) => {
    if (message.origin !== app.bus.instanceId) series.drop(message.payload.eventIds ?? undefined);
  });

  // Each instance broadcasts with its own throttle and keeps its own cache: the sender directly, the others from the bus.
  const topic = dataTopic(wm.database, 'datapoints');
  const unsubscribe = app.bus.subscribe<DatapointsMessage>(topic, (message) => {
    if (message.origin === app.bus.instanceId) return;
    series.append(message.payload.rows);
    stream.publish(message.payload.points);
  });
  // Spec §4.1 step 5, in order: cache and share with other instances, sensor.reading, rules, broadcast.
  pipeline.onCommitted((accepted) => {
    series.append(accepted);
    if (app.redis) app.bus.publish<DatapointsMessage>(topic, { points: accepted.map(toStreamPoint), rows: accepted.map(toCachedPoint) });
  });
  const sensorReadings = new KeyedThrottle<number>(settings.WEBMACS_SENSOR_WEBHOOK_INTERVAL_S * 1000);
  pipeline.onCommitted((accepted) => {
    const now = Date.now();
    for (const point of latestPerEvent(accepted)) {
      if (!sensorReadings.tryPass(point.event.id, now)) continue;
      webhooks.emit('sensor.reading', { time: point.ts, sensor: point.event.publicId, value: point.value });
    }
  });
  pipeline.onCommitted((accepted) => rules.evaluate(accepted));
  // Rendering every point costs more than storing it; with no socket open nobody would read them.
  pipeline.onCommitted((accepted) => {
    if (stream.size > 0) stream.publish(accepted.map(toStreamPoint));
  });

  app.onClose(() => {
    clearInterval(trimSeries);
    unsubscribeInvalidate();
    unsubscribe();
    events.close();
    experiments.close();
    rules.close();
    stream.closeAll(CLOSE.goingAway, 'Server shutting down');
  });
  return { events, experiments, pipeline, stream, webhooks, rules, series };
}
