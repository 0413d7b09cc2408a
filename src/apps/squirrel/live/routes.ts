import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { aliasHook, splitList } from '../aliases.ts';
import { errors } from '../errors.ts';
import type { LiveCache } from './cache.ts';

const tags = ['PVs'];
const getQuery = Type.Object({ pv_names: Type.Array(Type.String({ minLength: 1, maxLength: 255 })) });
const postBody = Type.Object({ pv_names: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 50_000 }) });
const MAX_GET_NAMES = 1000;

/** Live values from the cache (spec §3.2); a cache backend failure is 500 live_values_fetch_failed. */
export function registerLiveRoutes(scope: FastifyInstance, cache: LiveCache): void {
  async function lookup(names: readonly string[]) {
    try {
      return Object.fromEntries(await cache.get(names));
    } catch (err) {
      throw errors.liveValuesFetchFailed((err as Error).message);
    }
  }

  scope.get('/v1/pvs/live', { schema: { tags, querystring: getQuery } }, async (request) => {
    const names = splitList((request.query as Static<typeof getQuery>).pv_names) ?? [];
    if (names.length > MAX_GET_NAMES) throw errors.validation('pv_names', `must NOT have more than ${MAX_GET_NAMES} items`);
    return lookup(names);
  });

  // A read despite being a POST: the body only carries a long name list (spec §2 Permissions).
  scope.post(
    '/v1/pvs/live',
    { config: { squirrelAccess: 'read' }, preValidation: aliasHook('body', { pvNames: 'pv_names' }), schema: { tags, body: postBody } },
    async (request) => lookup((request.body as Static<typeof postBody>).pv_names),
  );

  scope.get('/v1/pvs/live/all', { schema: { tags } }, async () => {
    try {
      const values = Object.fromEntries(await cache.getAll());
      return { values, count: Object.keys(values).length };
    } catch (err) {
      throw errors.liveValuesFetchFailed((err as Error).message);
    }
  });

  scope.get('/v1/pvs/cache/status', { schema: { tags } }, async () => {
    try {
      await cache.ping();
      return { cached_pv_count: await cache.count(), status: 'connected', backend: cache.backend, error: null };
    } catch (err) {
      return { cached_pv_count: 0, status: 'disconnected', backend: cache.backend, error: (err as Error).message };
    }
  });
}
