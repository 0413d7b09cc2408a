import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { SquirrelSettings } from '../settings.ts';
import type { CircuitRegistry } from './circuitBreaker.ts';
import { jsonSafeValue } from './entry.ts';
import type { CaEnvironment } from './epics.ts';

const query = Type.Object({ pv: Type.String({ minLength: 1, maxLength: 255 }) });

/**
 * `GET /v1/pvs/test-epics` (spec §3.2): one CA read through the IOC's circuit breaker, for operators
 * checking connectivity. A failure is reported in the 200 body, as upstream does.
 */
export function registerTestEpicsRoute(
  scope: FastifyInstance,
  deps: { epics: EpicsClient; circuits: CircuitRegistry; environment: CaEnvironment; settings: SquirrelSettings },
): void {
  const connectTimeoutMs = deps.settings.SQUIRREL_EPICS_CA_CONN_TIMEOUT * 1000;
  const timeoutMs = deps.settings.SQUIRREL_EPICS_CA_TIMEOUT * 1000;
  scope.get('/v1/pvs/test-epics', { schema: { tags: ['PVs'], querystring: query } }, async (request) => {
    const { pv } = request.query as Static<typeof query>;
    try {
      const reading = await deps.circuits.call(pv, () => deps.epics.getOne(pv, { connectTimeoutMs, timeoutMs }));
      return { pv, connected: true, value: jsonSafeValue(reading.value), error: null, environment: deps.environment };
    } catch (err) {
      return { pv, connected: false, value: null, error: (err as Error).message, environment: deps.environment };
    }
  });
}
