import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { evaluateHealth, type HealthReport } from './service.ts';

const HealthResponse = Type.Object({
  status: Type.String(),
  version: Type.String(),
  database: Type.String(),
  last_datapoint: Type.Union([Type.String(), Type.Null()]),
  uptime_seconds: Type.Number(),
  checks: Type.Object({ database: Type.String(), disk: Type.String(), ingestion: Type.String() }),
});

/**
 * `GET /health` (spec §3.14): public, never rate limited, always 200 (upstream). Each evaluation is
 * handed to `onEvaluated` — the health monitor (§4.6) watches transitions there.
 */
export function registerHealthRoutes(scope: FastifyInstance, wm: WebmacsContext, onEvaluated: (report: HealthReport) => void = () => {}): void {
  const options = {
    database: wm.database,
    version: wm.settings.WEBMACS_VERSION,
    startedAt: wm.startedAt,
    dataDir: wm.app.filesDir,
    minFreeMb: wm.settings.WEBMACS_HEALTH_MIN_FREE_MB,
    staleAfterSeconds: wm.settings.WEBMACS_HEALTH_STALE_AFTER_S,
  };
  scope.get('/health', { schema: { tags: ['health'], response: { 200: HealthResponse } } }, async () => {
    const report = await evaluateHealth(options);
    onEvaluated(report);
    return report;
  });
}
