import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { rulesRepo } from './repo.ts';
import { Rule, RuleCreateBody, RuleUpdateBody } from './schemas.ts';
import { rulesService } from './service.ts';

/** `/api/v1/rules` (spec §3.11): admin only (seed, D1). */
export function registerRuleRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { auth } = wm;
  const rules = rulesService({ repo: rulesRepo(wm.db), database: wm.database, lab });
  const admin = auth.requireRole('admin');
  const tags = ['rules'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  scope.get('/api/v1/rules', { preValidation: admin, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Rule) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await rules.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/rules/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: Rule } } }, async (request) => rules.get(idOf(request)));

  scope.post('/api/v1/rules', { preValidation: admin, schema: { tags, body: RuleCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const publicId = await rules.create(auth.principal(request).user.id, request.body as RuleCreateBody);
    return reply.code(201).send(created('Rule successfully created.', publicId));
  });

  scope.put('/api/v1/rules/:id', { preValidation: admin, schema: { tags, params: IdParams, body: RuleUpdateBody, response: { 200: StatusResponse } } }, async (request) => {
    await rules.update(idOf(request), request.body as RuleUpdateBody);
    return status('Rule successfully updated.');
  });

  scope.delete('/api/v1/rules/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await rules.delete(idOf(request));
    return status('Rule successfully deleted.');
  });
}
