import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { IdParams, status, StatusResponse } from '../schemas.ts';
import { tokensRepo } from './repo.ts';
import { Token, TokenCreateBody, TokenCreated } from './schemas.ts';
import { tokensService } from './service.ts';

/** `/api/v1/tokens`: self-service for every role; admins list and delete all (spec §3.3). */
export function registerTokenRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const { auth } = wm;
  const tokens = tokensService(tokensRepo(wm.db));
  const tags = ['tokens'];

  scope.get('/api/v1/tokens', { preValidation: auth.requireUser, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Token) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await tokens.list(auth.principal(request).user, limit, offset);
    return toPage(query, total, data);
  });

  scope.post('/api/v1/tokens', { preValidation: auth.requireUser, schema: { tags, body: TokenCreateBody, response: { 201: TokenCreated } } }, async (request, reply) =>
    reply.code(201).send(await tokens.create(auth.principal(request).user, request.body as TokenCreateBody)),
  );

  scope.delete('/api/v1/tokens/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await tokens.delete(auth.principal(request).user, (request.params as { id: string }).id);
    return status('API token deleted.');
  });
}
