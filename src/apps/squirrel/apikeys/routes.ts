import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../auth.ts';
import type { ApiKeyService } from './service.ts';
import { activeOnlyQuery, createApiKeyBody, deactivateQuery, idParams } from './schemas.ts';

const tags = ['API keys'];

/** spec §3.6 and D6: every /v1/api-keys route, GET included, needs write access. */
export function registerApiKeyRoutes(scope: FastifyInstance, keys: ApiKeyService): void {
  const config = { squirrelAccess: 'write' as const };

  scope.get('/v1/api-keys', { config, schema: { tags, querystring: activeOnlyQuery } }, async (request) => {
    const { active_only } = request.query as Static<typeof activeOnlyQuery>;
    return keys.list(active_only);
  });

  scope.get('/v1/api-keys/count', { config, schema: { tags, querystring: activeOnlyQuery } }, async (request) => {
    const { active_only } = request.query as Static<typeof activeOnlyQuery>;
    return keys.count(active_only);
  });

  scope.post('/v1/api-keys', { config, schema: { tags, body: createApiKeyBody } }, async (request) => {
    const body = request.body as Static<typeof createApiKeyBody>;
    return keys.create(body.app_name.trim(), body.read_access, body.write_access);
  });

  scope.delete('/v1/api-keys/:id', { config, schema: { tags, params: idParams, querystring: deactivateQuery } }, async (request) => {
    const { id } = request.params as Static<typeof idParams>;
    const { force } = request.query as Static<typeof deactivateQuery>;
    return keys.deactivate(id, callerOf(request)?.id, force);
  });
}
