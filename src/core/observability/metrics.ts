import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics, type MetricValueWithName } from 'prom-client';

type HttpLabels = { app: string; method: string; route: string; status_code: string };

/** One labelled series of a LatencyHistogram: the counts an observation touches, nothing else. */
export class LatencySeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: HttpLabels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i += 1;
    if (i < bounds.length) this.counts[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/**
 * The request-latency histogram, exposed in Prometheus' histogram format through the registry.
 * prom-client's own Histogram validates and hashes the label set on every observe, even through a bound
 * child; this one hands out series objects once per label set, so the per-request cost is a bucket scan.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, LatencySeries>();

  constructor(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    registry.registerMetric(this as never);
  }

  labels(labels: HttpLabels): LatencySeries {
    const key = `${labels.app}\u0000${labels.method}\u0000${labels.route}\u0000${labels.status_code}`;
    let series = this.#series.get(key);
    if (!series) {
      series = new LatencySeries({ ...labels }, this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  reset(): void {
    this.#series.clear();
  }

  /** what the registry reads at scrape time, in the shape of prom-client's own metrics */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricValueWithName<string>[] }> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...series.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** The process's Prometheus metrics, exposed at `/metrics`. */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new LatencyHistogram(this.registry, {
    name: 'burrow_http_request_duration_seconds',
    help: 'HTTP request latency by app and route',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
  // The series per (app, method, route, status) is resolved once and reused: the hook stays cheap.
  const series = new Map<string, LatencySeries>();
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
