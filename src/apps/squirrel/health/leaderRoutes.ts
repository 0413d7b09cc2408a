import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.ts';
import { NoLeaderError } from '../live/control.ts';
import type { LiveRuntime } from '../live/runtime.ts';
import type { WatchdogStats } from '../live/watchdog.ts';

const tags = ['Health'];
const circuitParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S+$' }) });

/** spec §3.7: reads wait 2 s for the leader, circuit actions 5 s, a forced watchdog check 30 s */
const READ_TIMEOUT_MS = 2000;
const CIRCUIT_ACTION_TIMEOUT_MS = 5000;
const CHECK_TIMEOUT_MS = 30_000;

/** The leader's watchdog and circuit breakers, from any instance (spec §3.7, §4.3 Multi-instance). */
export function registerLeaderRoutes(scope: FastifyInstance, runtime: LiveRuntime): void {
  scope.get('/v1/health/watchdog', { schema: { tags } }, async () => {
    try {
      return (await runtime.onLeader('watchdog_stats', {}, READ_TIMEOUT_MS)) as WatchdogStats;
    } catch (err) {
      // no leader anywhere: this instance's own (idle) watchdog is the truth
      if (err instanceof NoLeaderError) return runtime.watchdog.stats();
      throw errors.watchdogStatsFailed((err as Error).message);
    }
  });

  scope.post('/v1/health/watchdog/check', { schema: { tags } }, async () => {
    if (!runtime.watchdog.stats().enabled) throw errors.watchdogCheckFailed('the watchdog is disabled');
    try {
      return (await runtime.onLeader('watchdog_check', {}, CHECK_TIMEOUT_MS)) as WatchdogStats;
    } catch (err) {
      throw errors.watchdogCheckFailed((err as Error).message);
    }
  });

  scope.get('/v1/health/circuits', { schema: { tags } }, async () => {
    try {
      return { ...((await runtime.onLeader('circuits', {}, READ_TIMEOUT_MS)) as object), error: null };
    } catch (err) {
      return { open_circuit_count: 0, total_circuits: 0, open_circuits: [], circuits: {}, error: (err as Error).message };
    }
  });

  for (const [verb, action, done] of [['open', 'circuit_open', 'forced open'], ['close', 'circuit_close', 'forced closed']] as const) {
    scope.post(`/v1/health/circuits/:name/${verb}`, { schema: { tags, params: circuitParams } }, async (request) => {
      const { name } = request.params as Static<typeof circuitParams>;
      try {
        await runtime.onLeader(action, { name }, CIRCUIT_ACTION_TIMEOUT_MS);
      } catch (err) {
        throw errors.circuitActionFailed((err as Error).message);
      }
      return { success: true, message: `Circuit '${name}' ${done}` };
    });
  }
}
