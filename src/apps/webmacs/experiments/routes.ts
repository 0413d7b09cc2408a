import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { experimentsRepo } from './repo.ts';
import { Experiment, ExperimentCreateBody, ExperimentUpdateBody } from './schemas.ts';
import { experimentsService } from './service.ts';

/** `/api/v1/experiments` (spec §3.6): any role reads and exports, operators write. */
export function registerExperimentRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { auth } = wm;
  const experiments = experimentsService({
    repo: experimentsRepo(wm.db),
    database: wm.database,
    lab,
    log: wm.log,
    deleteChunkRows: wm.settings.WEBMACS_DELETE_CHUNK_ROWS,
  });
  const operator = auth.requireRole('operator');
  const tags = ['experiments'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  scope.get('/api/v1/experiments', { preValidation: auth.requireUser, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Experiment) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await experiments.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/experiments/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: Experiment } } }, async (request) =>
    experiments.get(idOf(request)),
  );

  scope.post('/api/v1/experiments', { preValidation: operator, schema: { tags, body: ExperimentCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const publicId = await experiments.create(auth.principal(request).user.id, (request.body as ExperimentCreateBody).name);
    return reply.code(201).send(created('Experiment successfully created.', publicId));
  });

  scope.put(
    '/api/v1/experiments/:id',
    { preValidation: operator, schema: { tags, params: IdParams, body: ExperimentUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      await experiments.update(idOf(request), (request.body as ExperimentUpdateBody).name);
      return status('Experiment successfully updated.');
    },
  );

  scope.put('/api/v1/experiments/:id/stop', { preValidation: operator, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await experiments.stop(auth.principal(request).user.id, idOf(request));
    return status('Experiment successfully stopped.');
  });

  scope.delete('/api/v1/experiments/:id', { preValidation: operator, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await experiments.delete(idOf(request));
    return status('Experiment successfully deleted.');
  });

  scope.get('/api/v1/experiments/:id/export/csv', { preValidation: auth.requireUser, schema: { tags, params: IdParams } }, async (request, reply) => {
    const { contentDisposition, lines } = await experiments.export(idOf(request));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', contentDisposition)
      .send(Readable.from(lines));
  });
}
