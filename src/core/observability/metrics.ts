import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's Prometheus metrics, exposed at `/metrics`. */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'burrow_http_request_duration_seconds',
    help: 'HTTP request latency by app and route',
    labelNames: ['app', 'method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly jobs = new Gauge({
    name: 'burrow_jobs',
    help: 'Jobs by app and status',
    labelNames: ['app', 'status'] as const,
    registers: [this.registry],
  });
  readonly jobEvents = new Counter({
    name: 'burrow_job_events_total',
    help: 'Job changes published on the bus, by app and status',
    labelNames: ['app', 'status'] as const,
    registers: [this.registry],
  });
  readonly busMessages = new Gauge({
    name: 'burrow_bus_messages',
    help: 'Event bus messages since start, by direction (published, delivered, dropped)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly #collectors: (() => Promise<void> | void)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'burrow_' });
  }

  /** registers work that refreshes gauges whose source is a database or a component, run before each scrape */
  onCollect(fn: () => Promise<void> | void): void {
    this.#collectors.push(fn);
  }

  async exposition(): Promise<string> {
    await Promise.allSettled(this.#collectors.map((fn) => fn()));
    return this.registry.metrics();
  }
}

/** Latency of every request, labelled by the app owning the URL and the route pattern (never the raw URL). */
export function instrumentHttp(fastify: FastifyInstance, metrics: PlatformMetrics, appOf: (url: string) => string): void {
  // prom-client hashes the label object on every observe; the series per (app, method, route, status) is
  // resolved once and reused, which keeps the hook cheap on the hot path.
  const series = new Map<string, { observe(value: number): void }>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    // A route pattern belongs to one app; unmatched requests are told apart by the app owning their URL.
    const key = `${request.method} ${reply.statusCode} ${route ?? `unmatched ${appOf(request.url)}`}`;
    let child = series.get(key);
    if (!child) {
      child = metrics.httpDuration.labels({
        app: appOf(request.url),
        method: request.method,
        route: route ?? 'unmatched',
        status_code: String(reply.statusCode),
      });
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
}

export function registerMetricsRoute(fastify: FastifyInstance, metrics: PlatformMetrics): void {
  fastify.get('/metrics', { schema: { hide: true } as object }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.exposition()),
  );
}
