import { createHash } from 'node:crypto';
import { createSsrfGuard } from '../../../core/outbound/index.ts';
import type { WebmacsContext } from '../context.ts';
import { datapointPublicId } from '../ids.ts';
import { isoOffset } from '../time.ts';
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
 * Accepted rows of every batch, for the other instances' sockets (spec §4.9). The topic names the
 * database, so only instances serving the same data share points, even on one Redis.
 */
function datapointsTopic(wm: WebmacsContext): string {
  const database = wm.database.schema ?? wm.database.file ?? wm.database.appId;
  return `webmacs.datapoints.${createHash('sha256').update(database).digest('hex').slice(0, 16)}`;
}

/** What the lab resources (events, experiments, datapoints, sockets, rules, webhooks, plugins) share. */
export interface Lab {
  events: EventIndex;
  experiments: RunningExperimentCache;
  pipeline: IngestionPipeline;
  stream: StreamHub;
  webhooks: WebhookDispatcher;
  rules: RuleEvaluator;
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
    jobs: app.jobs,
    guard: createSsrfGuard({ allowLoopback: settings.WEBMACS_WEBHOOK_ALLOW_LOOPBACK }),
    logger: app.logger.child({ component: 'webhooks' }),
    userAgent: `burrow-webmacs/${settings.WEBMACS_VERSION}`,
    timeoutMs: settings.WEBMACS_WEBHOOK_TIMEOUT_S * 1000,
    maxAttempts: settings.WEBMACS_WEBHOOK_MAX_ATTEMPTS,
    backoffMs: settings.WEBMACS_WEBHOOK_BACKOFF_S.map((seconds) => Number(seconds) * 1000),
    concurrency: settings.WEBMACS_WEBHOOK_CONCURRENCY,
    maxPending: settings.WEBMACS_WEBHOOK_MAX_PENDING,
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

  // Each instance broadcasts with its own throttle: the sender to its sockets, the others from the bus.
  const topic = datapointsTopic(wm);
  const unsubscribe = app.bus.subscribe<{ points: StreamPoint[] }>(topic, (message) => {
    if (message.origin !== app.bus.instanceId) stream.publish(message.payload.points);
  });
  // Spec §4.1 step 5, in order: share with other instances, sensor.reading, rules, broadcast.
  pipeline.onCommitted((accepted) => {
    if (app.redis) app.bus.publish(topic, { points: accepted.map(toStreamPoint) });
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
  pipeline.onCommitted((accepted) => stream.publish(accepted.map(toStreamPoint)));

  app.onClose(() => {
    unsubscribe();
    events.close();
    experiments.close();
    rules.close();
    stream.closeAll(CLOSE.goingAway, 'Server shutting down');
  });
  return { events, experiments, pipeline, stream, webhooks, rules };
}
