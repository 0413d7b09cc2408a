import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { LogCreateBody, LogEntry, LogListQuery, LogUpdateBody } from './schemas.ts';

/** `/api/v1/logging` (spec §3.8; no DELETE, as seed and upstream). */
export function registerLoggingRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const { auth, log } = wm;
  const tags = ['logging'];

  scope.get(
    '/api/v1/logging',
    { preValidation: auth.requireUser, schema: { tags, querystring: LogListQuery, response: { 200: pageOf(LogEntry) } } },
    async (request) => {
      const query = request.query as LogListQuery;
      const { limit, offset } = pageWindow(query);
      const { total, data } = await log.list({ logging_type: query.logging_type, status_type: query.status_type }, limit, offset);
      return toPage(query, total, data);
    },
  );

  scope.post(
    '/api/v1/logging',
    { preValidation: auth.requireRole('operator'), schema: { tags, body: LogCreateBody, response: { 201: CreatedResponse } } },
    async (request, reply) => {
      const body = request.body as LogCreateBody;
      const publicId = await log.write(auth.principal(request).user.id, body.content, body.logging_type ?? 'info');
      return reply.code(201).send(created('Log entry successfully created.', publicId));
    },
  );

  scope.put(
    '/api/v1/logging/:id',
    { preValidation: auth.requireRole('operator'), schema: { tags, params: IdParams, body: LogUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      await log.update((request.params as { id: string }).id, request.body as LogUpdateBody);
      return status('LogEntry successfully updated.');
    },
  );
}
