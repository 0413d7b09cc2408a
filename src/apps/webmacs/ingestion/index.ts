import type { WebmacsContext } from '../context.ts';
import { datapointPublicId } from '../ids.ts';
import { isoOffset } from '../time.ts';
import { CLOSE } from '../ws/connection.ts';
import { StreamHub, type StreamPoint } from '../ws/hub.ts';
import { EventIndex } from './event-index.ts';
import { IngestionPipeline, type AcceptedPoint } from './pipeline.ts';
import { ingestionRepo } from './repo.ts';
import { RunningExperimentCache } from './running-experiment.ts';

/** Accepted rows of every batch, for the other instances' sockets (spec §4.9). */
const DATAPOINTS_TOPIC = 'webmacs.datapoints';

/** What the lab resources (events, experiments, datapoints, sockets, rules, webhooks, plugins) share. */
export interface Lab {
  events: EventIndex;
  experiments: RunningExperimentCache;
  pipeline: IngestionPipeline;
  stream: StreamHub;
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
  });
  const stream = new StreamHub({
    broadcastIntervalMs: settings.WEBMACS_BROADCAST_INTERVAL_MS,
    maxBufferedBytes: settings.WEBMACS_WS_MAX_BUFFERED_BYTES,
  });

  // Each instance broadcasts with its own throttle: the sender to its sockets, the others from the bus.
  const unsubscribe = app.bus.subscribe<{ points: StreamPoint[] }>(DATAPOINTS_TOPIC, (message) => {
    if (message.origin !== app.bus.instanceId) stream.publish(message.payload.points);
  });
  pipeline.onCommitted((accepted) => {
    const points = accepted.map(toStreamPoint);
    if (app.redis) app.bus.publish(DATAPOINTS_TOPIC, { points });
    stream.publish(points);
  });

  app.onClose(() => {
    unsubscribe();
    events.close();
    experiments.close();
    stream.closeAll(CLOSE.goingAway, 'Server shutting down');
  });
  return { events, experiments, pipeline, stream };
}
