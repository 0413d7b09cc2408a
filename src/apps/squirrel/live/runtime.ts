import type { Logger } from 'pino';
import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { EventBus } from '../../../core/events/index.ts';
import type { LeaderElection } from '../../../core/leader/index.ts';
import type { SquirrelSettings } from '../settings.ts';
import type { LiveCache } from './cache.ts';
import { CircuitRegistry } from './circuitBreaker.ts';
import { createLeaderControl } from './control.ts';
import { PvMonitor } from './monitor.ts';
import { Watchdog } from './watchdog.ts';

export const PV_CHANGED_TOPIC = 'squirrel.pv.changed';
/** spec §4.3: the first watchdog check runs 10 s after the monitor starts */
const WATCHDOG_FIRST_CHECK_MS = 10_000;

export interface LiveRuntime {
  readonly monitor: PvMonitor;
  readonly watchdog: Watchdog;
  readonly circuits: CircuitRegistry;
  readonly enabled: boolean;
  isLeader(): boolean;
  /**
   * runs a leader-only action (`watchdog_stats`, `watchdog_check`, `circuits`, `circuit_open`,
   * `circuit_close`) on the leader: here when this instance leads or is alone (memory backend), else
   * forwarded; rejects with NoLeaderError when nobody answers in time
   */
  onLeader(action: string, args: unknown, timeoutMs: number): Promise<unknown>;
  /** joins the leader election; the monitor runs while this instance leads */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The background side of the live cache (spec §4.2, §4.3): leader election over `ctx.leader`, the
 * monitor and watchdog started on gaining the lease and stopped at once on losing it, PV-set changes
 * from any instance (the event bus, shared over Redis) turned into monitor refreshes, and the leader's
 * circuits and watchdog reachable from every instance.
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
  const circuits = new CircuitRegistry({ failMax: settings.SQUIRREL_CIRCUIT_FAIL_MAX, resetTimeoutMs: settings.SQUIRREL_CIRCUIT_RESET_TIMEOUT * 1000 });
  const watchdog = new Watchdog({
    cache: deps.cache,
    epics: deps.epics,
    circuits,
    reopen: (address) => monitor.reopen(address),
    logger: deps.logger.child({ component: 'watchdog' }),
    settings: {
      enabled: settings.SQUIRREL_WATCHDOG_ENABLED,
      intervalMs: settings.SQUIRREL_WATCHDOG_CHECK_INTERVAL * 1000,
      firstCheckAfterMs: WATCHDOG_FIRST_CHECK_MS,
      staleSeconds: settings.SQUIRREL_WATCHDOG_STALE_THRESHOLD,
      readTimeoutMs: settings.SQUIRREL_WATCHDOG_RECONNECT_TIMEOUT * 1000,
    },
  });
  const control = createLeaderControl({
    bus: deps.bus,
    group: settings.SQUIRREL_MONITOR_LOCK_KEY,
    isLeader: () => election.isLeader(),
    // on the memory backend this instance is alone: there is nobody to forward to
    alone: deps.cache.backend === 'memory',
    handlers: {
      watchdog_stats: () => watchdog.stats(),
      watchdog_check: () => {
        if (!watchdog.running) throw new Error('the watchdog is not running');
        return watchdog.check();
      },
      circuits: () => circuits.snapshot(),
      circuit_open: ({ name }: { name: string }) => circuits.forceOpen(name),
      circuit_close: ({ name }: { name: string }) => circuits.forceClose(name),
    },
  });
  const enabled = settings.SQUIRREL_MONITOR_ENABLED;
  const unsubscribers: (() => void)[] = [control.close];
  // leadership flips are applied in order, so a quick loss and regain cannot interleave start and stop
  let transition: Promise<void> = Promise.resolve();
  const follow = (leader: boolean) => {
    transition = transition
      .then(async () => {
        if (leader) {
          await monitor.start();
          watchdog.start();
        } else {
          watchdog.stop();
          await monitor.stop();
        }
      })
      .catch((err: Error) => deps.logger.error({ err }, 'monitor start or stop failed'));
  };

  return {
    monitor,
    watchdog,
    circuits,
    enabled,
    isLeader: () => election.isLeader(),
    onLeader: (action, args, timeoutMs) => control.request(action, args, timeoutMs),
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
