import type { Logger } from 'pino';
import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { EventBus } from '../../../core/events/index.ts';
import type { LeaderElection } from '../../../core/leader/index.ts';
import type { SquirrelSettings } from '../settings.ts';
import type { LiveCache } from './cache.ts';
import { PvMonitor } from './monitor.ts';

export const PV_CHANGED_TOPIC = 'squirrel.pv.changed';

export interface LiveRuntime {
  readonly monitor: PvMonitor;
  readonly enabled: boolean;
  isLeader(): boolean;
  /** joins the leader election; the monitor runs while this instance leads */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The background side of the live cache (spec §4.2, §4.3): leader election over `ctx.leader`, the
 * monitor started on gaining the lease and stopped at once on losing it, and PV-set changes from any
 * instance (the event bus, shared over Redis) turned into monitor refreshes.
 */
export function createLiveRuntime(deps: {
  election: LeaderElection;
  bus: EventBus;
  epics: EpicsClient;
  cache: LiveCache;
  addresses: () => Promise<string[]>;
  instanceId: string;
  settings: SquirrelSettings;
  logger: Logger;
}): LiveRuntime {
  const { settings, election } = deps;
  const monitor = new PvMonitor({
    epics: deps.epics,
    cache: deps.cache,
    addresses: deps.addresses,
    instanceId: deps.instanceId,
    logger: deps.logger.child({ component: 'monitor' }),
    settings: {
      batchSize: settings.SQUIRREL_PV_MONITOR_BATCH_SIZE,
      batchDelayMs: settings.SQUIRREL_PV_MONITOR_BATCH_DELAY_MS,
      flushMs: settings.SQUIRREL_PV_MONITOR_FLUSH_MS,
      heartbeatMs: settings.SQUIRREL_PV_MONITOR_HEARTBEAT_INTERVAL * 1000,
      resyncMs: settings.SQUIRREL_MONITOR_RESYNC_INTERVAL * 1000,
      connectTimeoutMs: settings.SQUIRREL_EPICS_CA_CONN_TIMEOUT * 1000,
    },
  });
  const enabled = settings.SQUIRREL_MONITOR_ENABLED;
  const unsubscribers: (() => void)[] = [];
  // leadership flips are applied in order, so a quick loss and regain cannot interleave start and stop
  let transition: Promise<void> = Promise.resolve();
  const follow = (leader: boolean) => {
    transition = transition
      .then(() => (leader ? monitor.start() : monitor.stop()))
      .catch((err: Error) => deps.logger.error({ err }, 'monitor start or stop failed'));
  };

  return {
    monitor,
    enabled,
    isLeader: () => election.isLeader(),
    async start() {
      if (!enabled) return;
      unsubscribers.push(deps.bus.subscribe(PV_CHANGED_TOPIC, () => monitor.refresh()));
      unsubscribers.push(election.onChange(follow));
      await election.start();
      await transition;
    },
    async stop() {
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
      await election.stop();
      follow(false);
      await transition;
    },
  };
}
