import { isoTime } from '../format.ts';
import type { LiveCache, MonitorHeartbeat } from '../live/cache.ts';
import type { LiveRuntime } from '../live/runtime.ts';

/** A heartbeat younger than this means the monitor is alive (spec §3.7 heartbeat). */
const ALIVE_SECONDS = 5;
/** Older than this, monitor/status reports `stale`. */
const STALE_SECONDS = 30;

export interface WatchdogState {
  running: boolean;
  lastCheck: number | null;
}

export interface MonitorHealthDeps {
  cache: LiveCache;
  runtime: LiveRuntime;
  watchdog: () => WatchdogState;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function ageOf(beat: MonitorHeartbeat | null): number | null {
  return beat ? Math.max(0, round(Date.now() / 1000 - beat.at)) : null;
}

/** The monitor's health as the health routes report it (spec §3.7); reads go to the shared cache. */
export function createMonitorHealth(deps: MonitorHealthDeps) {
  const { cache, runtime } = deps;

  async function counts() {
    const [total, disconnected] = await Promise.all([cache.count(), cache.disconnected()]);
    return { total, disconnected: disconnected.length, connected: total - disconnected.length };
  }

  return {
    async heartbeat() {
      try {
        const beat = await cache.heartbeat();
        const age = ageOf(beat);
        return { timestamp: beat?.at ?? null, alive: age !== null && age < ALIVE_SECONDS, age_seconds: age };
      } catch (err) {
        return { timestamp: null, alive: false, age_seconds: null, error: (err as Error).message };
      }
    },

    /** `healthy`, `stale`, `unknown` or `disabled`: the monitor field of /v1/health */
    async state(): Promise<'healthy' | 'stale' | 'unknown' | 'disabled'> {
      if (!runtime.enabled) return 'disabled';
      return (await this.status()).status;
    },

    /** never throws: a failing backend is `unknown` with `error` (spec §3.7 monitor/status) */
    async status() {
      if (!runtime.enabled) {
        return { healthy: false, status: 'unknown' as const, message: 'Monitor is disabled on this instance', age_seconds: null, last_heartbeat: null, leader: null, pv_count: 0, connected_count: 0 };
      }
      try {
        const [beat, { total, connected }] = await Promise.all([cache.heartbeat(), counts()]);
        const age = ageOf(beat);
        const base = { age_seconds: age, last_heartbeat: beat ? isoTime(beat.at * 1000) : null, leader: beat?.leader ?? null, pv_count: total, connected_count: connected };
        if (age === null) return { healthy: false, status: 'unknown' as const, message: 'No monitor heartbeat found', ...base };
        if (age > STALE_SECONDS) return { healthy: false, status: 'stale' as const, message: `Monitor heartbeat is ${Math.round(age)} s old`, ...base };
        return { healthy: true, status: 'healthy' as const, message: 'Monitor process is alive', ...base };
      } catch (err) {
        const error = (err as Error).message;
        return { healthy: false, status: 'unknown' as const, message: 'Could not read the monitor state', error, age_seconds: null, last_heartbeat: null, leader: null, pv_count: 0, connected_count: 0 };
      }
    },

    /** throws when the cache cannot be read (the route maps it to 503) */
    async details() {
      const [beat, { total, connected, disconnected }] = await Promise.all([cache.heartbeat(), counts()]);
      const age = ageOf(beat);
      const watchdog = deps.watchdog();
      return {
        alive: age !== null && age < ALIVE_SECONDS,
        last_heartbeat: beat ? isoTime(beat.at * 1000) : null,
        heartbeat_age_seconds: age,
        total_cached_pvs: total,
        connected_pvs: connected,
        disconnected_pvs: disconnected,
        monitored_pvs: runtime.monitor.running ? runtime.monitor.monitoredCount : total,
        active_subscriptions: runtime.monitor.monitoredCount,
        monitor_running: runtime.monitor.running,
        watchdog_running: watchdog.running,
        watchdog_last_check: watchdog.lastCheck === null ? null : isoTime(watchdog.lastCheck),
      };
    },

    /** never throws (spec §3.7 summary) */
    async summary() {
      const heartbeat = await this.heartbeat();
      let total = 0;
      let disconnected = 0;
      const issues: string[] = [];
      try {
        ({ total, disconnected } = await counts());
      } catch (err) {
        issues.push(`Cache unavailable: ${(err as Error).message}`);
      }
      const percentage = total ? round((disconnected / total) * 100, 2) : 0;
      if (!heartbeat.alive) issues.push('Monitor is not alive');
      if (percentage > 10) issues.push(`High disconnection rate: ${percentage}%`);
      else if (percentage > 1) issues.push(`Some PVs disconnected: ${disconnected}`);
      const watchdog = deps.watchdog();
      return {
        status: !heartbeat.alive ? 'unhealthy' : issues.length ? 'degraded' : 'healthy',
        monitor_alive: heartbeat.alive,
        heartbeat_age_seconds: heartbeat.age_seconds,
        total_pvs: total,
        connected_pvs: total - disconnected,
        disconnected_pvs: disconnected,
        disconnected_percentage: percentage,
        watchdog_running: watchdog.running,
        last_watchdog_check: watchdog.lastCheck === null ? null : isoTime(watchdog.lastCheck),
        issues,
      };
    },

    /** connected entries not updated for `maxAgeSeconds` (spec §3.7 stale) */
    async stale(maxAgeSeconds: number): Promise<string[]> {
      const cutoff = Date.now() / 1000 - maxAgeSeconds;
      const stale: string[] = [];
      for (const [address, entry] of await cache.getAll()) if (entry.connected && entry.updated_at < cutoff) stale.push(address);
      return stale.sort();
    },
  };
}

export type MonitorHealth = ReturnType<typeof createMonitorHealth>;
