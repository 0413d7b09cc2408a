import type { FastifyInstance, onResponseHookHandler } from 'fastify';
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
  const seriesFor = (app: string, method: string, route: string) => {
    // Resolved once per status code and reused: the per-request cost is one small-map lookup.
    const byStatus = new Map<number, LatencySeries>();
    return (statusCode: number) => {
      let series = byStatus.get(statusCode);
      if (!series) {
        series = metrics.httpDuration.labels({ app, method, route, status_code: String(statusCode) });
        byStatus.set(statusCode, series);
      }
      return series;
    };
  };
  // A matched route gets a hook of its own that already knows its pattern and app: reading them per
  // request (`request.routeOptions` builds a fresh object on every access) was most of this hook's cost.
  fastify.addHook('onRoute', (route) => {
    const pattern = route.url ?? route.path;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    const series = seriesFor(appOf(pattern), method, pattern);
    const record: onResponseHookHandler = (_request, reply, done) => {
      series(reply.statusCode).observe(reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...(route.onResponse === undefined ? [] : [route.onResponse].flat()), record];
  });
  // Requests no route matched are told apart by the app owning their URL.
  const unmatched = new Map<string, ReturnType<typeof seriesFor>>();
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      const app = appOf(request.url);
      const key = `${app} ${request.method}`;
      let series = unmatched.get(key);
      if (!series) {
        series = seriesFor(app, request.method, 'unmatched');
        unmatched.set(key, series);
      }
      series(reply.statusCode).observe(reply.elapsedTime / 1000);
    }
    done();
  });
}

export function registerMetricsRoute(fastify: FastifyInstance, metrics: PlatformMetrics): void {
  fastify.get('/metrics', { schema: { hide: true } as object }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.exposition()),
  );
}
