import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { eventsRepo } from './repo.ts';
import { Event, EventCreateBody, EventUpdateBody } from './schemas.ts';
import { eventsService } from './service.ts';

/** `/api/v1/events` (spec §3.5): any role reads, operators write. */
export function registerEventRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { auth } = wm;
  const events = eventsService({ repo: eventsRepo(wm.db), database: wm.database, lab, deleteChunkRows: wm.settings.WEBMACS_DELETE_CHUNK_ROWS });
  const operator = auth.requireRole('operator');
  const tags = ['events'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  scope.get('/api/v1/events', { preValidation: auth.requireUser, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Event) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await events.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/events/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: Event } } }, async (request) =>
    events.get(idOf(request)),
  );

  scope.post('/api/v1/events', { preValidation: operator, schema: { tags, body: EventCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const publicId = await events.create(auth.principal(request).user.id, request.body as EventCreateBody);
    return reply.code(201).send(created('Event successfully created.', publicId));
  });

  scope.put(
    '/api/v1/events/:id',
    { preValidation: operator, schema: { tags, params: IdParams, body: EventUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      await events.update(idOf(request), request.body as EventUpdateBody);
      return status('Event successfully updated.');
    },
  );

  scope.delete('/api/v1/events/:id', { preValidation: operator, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await events.delete(idOf(request));
    return status('Event successfully deleted.');
  });
}
