import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from '../../../src/core/observability/metrics.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const labelSet = fc.record({
  app: fc.constantFrom('squirrel', 'webmacs'),
  method: fc.constantFrom('GET', 'POST'),
  route: fc.constantFrom('/v1/pvs', '/api/v1/datapoints/{id}', 'unmatched'),
  status_code: fc.constantFrom('200', '404', '500'),
});
// Bucket edges exactly, so `le` is checked as inclusive, plus anything from 0 to beyond the last bucket.
const seconds = fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 20, noNaN: true }));

test('the exposition is what prom-client\'s own Histogram prints for the same observations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(labelSet, seconds), { maxLength: 200 }), async (observations) => {
      const reference = new Registry();
      const fast = new Registry();
      const histogram = new Histogram({
        name: 'burrow_http_request_duration_seconds',
        help: 'HTTP request latency by app and route',
        labelNames: ['app', 'method', 'route', 'status_code'],
        buckets: BUCKETS,
        registers: [reference],
      });
      const latency = new LatencyHistogram(fast, { name: 'burrow_http_request_duration_seconds', help: 'HTTP request latency by app and route', buckets: BUCKETS });
      for (const [labels, value] of observations) {
        histogram.labels(labels).observe(value);
        latency.labels(labels).observe(value);
      }
      // Series order may differ; the set of lines may not.
      const lines = async (registry: Registry) => (await registry.metrics()).split('\n').sort();
      assert.deepEqual(await lines(fast), await lines(reference));
    }),
    { numRuns: 100 },
  );
});

test('labels() hands out one series per label set and reset() forgets them all', async () => {
  const registry = new Registry();
  const latency = new LatencyHistogram(registry, { name: 'lat_seconds', help: 'h', buckets: [1] });
  const labels = { app: 'a', method: 'GET', route: '/x', status_code: '200' };
  assert.equal(latency.labels(labels), latency.labels({ ...labels }));
  latency.labels(labels).observe(2);
  assert.match(await registry.metrics(), /lat_seconds_count\{app="a",method="GET",route="\/x",status_code="200"\} 1/);
  latency.reset();
  assert.doesNotMatch(await registry.metrics(), /lat_seconds_count/);
});
