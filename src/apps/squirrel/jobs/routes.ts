import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { JOB_STATES, JOB_TYPES, type JobService } from './service.ts';

const tags = ['Jobs'];
const jobParams = Type.Object({ id: Type.String() });
const listQuery = Type.Object({
  type: Type.Optional(Type.Union(JOB_TYPES.map((t) => Type.Literal(t)))),
  status: Type.Optional(Type.Union(JOB_STATES.map((s) => Type.Literal(s)))),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export function registerJobRoutes(scope: FastifyInstance, service: JobService): void {
  scope.get('/v1/jobs', { schema: { tags, querystring: listQuery } }, async (request) => service.list(request.query as Static<typeof listQuery>));
  scope.get('/v1/jobs/:id', { schema: { tags, params: jobParams } }, async (request) => service.get((request.params as Static<typeof jobParams>).id));
  scope.post('/v1/jobs/:id/cancel', { schema: { tags, params: jobParams } }, async (request) =>
    service.cancel((request.params as Static<typeof jobParams>).id),
  );
}
