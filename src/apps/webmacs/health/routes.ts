import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HealthReport } from './service.ts';

const HealthResponse = Type.Object({
  status: Type.String(),
  version: Type.String(),
  database: Type.String(),
  last_datapoint: Type.Union([Type.String(), Type.Null()]),
  uptime_seconds: Type.Number(),
  checks: Type.Object({ database: Type.String(), disk: Type.String(), ingestion: Type.String() }),
});

/**
 * `GET /health` (spec §3.14): public, never rate limited, always 200 (upstream). `check` evaluates
 * and lets the health monitor (§4.6) see the result before it is answered.
 */
export function registerHealthRoutes(scope: FastifyInstance, check: () => Promise<HealthReport>): void {
  scope.get('/health', { schema: { tags: ['health'], response: { 200: HealthResponse } } }, () => check());
}
