import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { ingestionRepo } from '../ingestion/repo.ts';
import { pageOf, pageWindow, toPage } from '../pagination.ts';
import { IdParams, status, StatusResponse } from '../schemas.ts';
import { datapointsRepo } from './repo.ts';
import { Datapoint, DatapointBatchBody, DatapointCreateBody, DatapointListQuery, IdempotencyHeaders, LatestQuery, SeriesBody } from './schemas.ts';
import { datapointsService, type StoredReply } from './service.ts';

/** `/api/v1/datapoints` (spec §3.7): any role reads, operators write. */
export function registerDatapointRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { auth } = wm;
  const datapoints = datapointsService({
    repo: datapointsRepo(wm.db),
    ingestion: ingestionRepo(wm.db),
    lab,
    futureToleranceS: wm.settings.WEBMACS_FUTURE_TOLERANCE_S,
    seriesRequests: wm.metrics.seriesCacheRequests,
  });
  const operator = auth.requireRole('operator');
  const tags = ['datapoints'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;
  const keyOf = (request: { headers: Record<string, unknown> }) => request.headers['idempotency-key'] as string | undefined;
  // Spec §4.1 step 6: the points of a write refused as a whole with 422 are rejected points too.
  const countRefused = (points: (body: unknown) => number) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode !== 422) return;
    const count = points(request.body);
    if (count > 0) wm.metrics.datapointsRejected.inc({ reason: 'invalid' }, count);
  };
  const batchLength = (body: unknown) => {
    const items = (body as { datapoints?: unknown } | null | undefined)?.datapoints;
    return Array.isArray(items) ? items.length : 0;
  };
  const send = (reply: FastifyReply, stored: StoredReply) => {
    if (stored.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(stored.statusCode).send(stored.body);
  };

  scope.get('/api/v1/datapoints', { preValidation: auth.requireUser, schema: { tags, querystring: DatapointListQuery, response: { 200: pageOf(Datapoint) } } }, async (request) => {
    const query = request.query as DatapointListQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await datapoints.list(query, limit, offset);
    return toPage(query, total, data);
  });

  scope.post('/api/v1/datapoints', { preValidation: operator, onResponse: countRefused(() => 1), schema: { tags, headers: IdempotencyHeaders, body: DatapointCreateBody } }, async (request, reply) =>
    send(reply, await datapoints.createOne(auth.principal(request).user.id, request.body as DatapointCreateBody, keyOf(request))),
  );

  scope.post('/api/v1/datapoints/batch', { preValidation: operator, onResponse: countRefused(batchLength), schema: { tags, headers: IdempotencyHeaders, body: DatapointBatchBody } }, async (request, reply) =>
    send(reply, await datapoints.createMany(auth.principal(request).user.id, (request.body as DatapointBatchBody).datapoints, keyOf(request))),
  );

  scope.post('/api/v1/datapoints/series', { preValidation: auth.requireUser, schema: { tags, body: SeriesBody } }, async (request) => {
    const body = request.body as SeriesBody;
    return datapoints.series(body.event_public_ids, body.minutes ?? 60, body.max_points ?? 500, body.method ?? 'stride');
  });

  scope.get('/api/v1/datapoints/latest', { preValidation: auth.requireUser, schema: { tags, querystring: LatestQuery } }, async (request) => {
    const filter = (request.query as { event_public_ids?: string }).event_public_ids;
    return datapoints.latest(filter === undefined ? undefined : filter.split(',').map((id) => id.trim()).filter(Boolean));
  });

  scope.get('/api/v1/datapoints/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: Datapoint } } }, async (request) =>
    datapoints.get(idOf(request)),
  );

  scope.delete('/api/v1/datapoints/:id', { preValidation: operator, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await datapoints.delete(idOf(request));
    return status('Datapoint successfully deleted.');
  });
}
