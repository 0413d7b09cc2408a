import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { JOBS_UPDATED } from '../../core/jobs/index.ts';
import type { JobUpdatedEvent } from '../../core/jobs/types.ts';
import type { EventBus } from '../../core/events/index.ts';
import { jobView } from './jobs/service.ts';
import type { LiveCache } from './live/cache.ts';
import type { LiveRuntime } from './live/runtime.ts';
import type { WsHub } from './ws/hub.ts';

export interface SquirrelMetricSources {
  registry: Registry;
  bus: EventBus;
  appId: string;
  /** registered PVs */
  pvCount: () => Promise<number>;
  cache: LiveCache;
  runtime: LiveRuntime;
  hub: WsHub;
}

/** Job runs take seconds to minutes (a 40,000-PV snapshot ≈ 1 s, a slow restore up to the 600 s timeout). */
const JOB_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The app's Prometheus metrics on the platform `/metrics` (spec §10, last row). Gauges are read from
 * their source at scrape time; job durations come from the jobs' own events on the bus, counted only
 * by the instance that ran the job so a shared Redis bus does not count a job once per instance.
 * Returns the unsubscribe for shutdown.
 */
export function registerSquirrelMetrics(sources: SquirrelMetricSources): () => void {
  const { registry, cache, runtime, hub } = sources;
  const registers = [registry];
  // a cache that cannot be read reports nothing rather than failing the whole scrape
  const fromCache = async (gauge: Gauge, read: () => Promise<number>) => {
    try {
      gauge.set(await read());
    } catch {
      gauge.reset();
    }
  };
  new Gauge({
    name: 'squirrel_pvs_total',
    help: 'Registered PVs',
    registers,
    async collect() {
      this.set(await sources.pvCount());
    },
  });
  new Gauge({
    name: 'squirrel_pvs_connected',
    help: 'Cached addresses whose channel is connected',
    registers,
    async collect() {
      await fromCache(this, async () => (await cache.count()) - (await cache.disconnected()).length);
    },
  });
  new Gauge({
    name: 'squirrel_cache_entries',
    help: 'Entries in the live cache',
    registers,
    async collect() {
      await fromCache(this, () => cache.count());
    },
  });
  let updatesCounted = 0;
  new Counter({
    name: 'squirrel_monitor_updates_total',
    help: 'Value and connection events received by this instance’s PV monitor',
    registers,
    collect() {
      const updates = runtime.monitor.updateCount;
      this.inc(updates - updatesCounted);
      updatesCounted = updates;
    },
  });
  new Gauge({
    name: 'squirrel_ws_clients',
    help: 'Open WebSocket connections with a valid key on this instance',
    registers,
    collect() {
      this.set(hub.clientCount);
    },
  });
  let droppedCounted = 0;
  new Counter({
    name: 'squirrel_ws_dropped_total',
    help: 'WebSocket connections closed as slow consumers (1013)',
    registers,
    collect() {
      this.inc(hub.droppedCount - droppedCounted);
      droppedCounted = hub.droppedCount;
    },
  });
  new Gauge({
    name: 'squirrel_ca_circuits',
    help: 'Per-IOC circuit breakers of the CA reads (spec §4.3), by state, as this instance sees them',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      for (const state of ['CLOSED', 'OPEN', 'HALF_OPEN']) this.set({ state }, 0);
      for (const circuit of Object.values(runtime.circuits.snapshot().circuits)) this.inc({ state: circuit.state });
    },
  });
  const jobSeconds = new Histogram({
    name: 'squirrel_job_duration_seconds',
    help: 'Run time of finished jobs, from start to finish, by type and final status',
    labelNames: ['type', 'status'] as const,
    buckets: JOB_SECONDS_BUCKETS,
    registers,
  });
  return sources.bus.subscribe<JobUpdatedEvent>(JOBS_UPDATED, ({ payload, origin }) => {
    const { job } = payload;
    if (payload.appId !== sources.appId || origin !== sources.bus.instanceId) return;
    if (job.finishedAt === null || job.startedAt === null) return;
    jobSeconds.observe({ type: job.type, status: jobView(job).status }, (job.finishedAt - job.startedAt) / 1000);
  });
}
