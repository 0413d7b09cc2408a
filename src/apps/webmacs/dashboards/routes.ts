import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { IdParams, status, StatusResponse } from '../schemas.ts';
import { dashboardsRepo } from './repo.ts';
import { Dashboard, DashboardCreateBody, DashboardUpdateBody, Widget, WidgetCreateBody, WidgetParams, WidgetUpdateBody } from './schemas.ts';
import { dashboardsService } from './service.ts';

type WidgetPath = { id: string; wid: string };

/** `/api/v1/dashboards` and their widgets (spec §3.9). */
export function registerDashboardRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const { auth } = wm;
  const dashboards = dashboardsService(dashboardsRepo(wm.db));
  const operator = auth.requireRole('operator');
  const tags = ['dashboards'];
  const userOf = (request: Parameters<typeof auth.principal>[0]) => auth.principal(request).user;

  scope.get('/api/v1/dashboards', { preValidation: auth.requireUser, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Dashboard) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await dashboards.list(userOf(request), limit, offset);
    return toPage(query, total, data);
  });

  scope.post('/api/v1/dashboards', { preValidation: operator, schema: { tags, body: DashboardCreateBody, response: { 201: Dashboard } } }, async (request, reply) =>
    reply.code(201).send(await dashboards.create(userOf(request), request.body as DashboardCreateBody)),
  );

  scope.get('/api/v1/dashboards/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: Dashboard } } }, async (request) =>
    dashboards.get(userOf(request), (request.params as { id: string }).id),
  );

  scope.put(
    '/api/v1/dashboards/:id',
    { preValidation: operator, schema: { tags, params: IdParams, body: DashboardUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      await dashboards.update(userOf(request), (request.params as { id: string }).id, request.body as DashboardUpdateBody);
      return status('Dashboard successfully updated.');
    },
  );

  scope.delete('/api/v1/dashboards/:id', { preValidation: operator, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await dashboards.delete(userOf(request), (request.params as { id: string }).id);
    return status('Dashboard successfully deleted.');
  });

  scope.post(
    '/api/v1/dashboards/:id/widgets',
    { preValidation: operator, schema: { tags, params: IdParams, body: WidgetCreateBody, response: { 201: Widget } } },
    async (request, reply) =>
      reply.code(201).send(await dashboards.addWidget(userOf(request), (request.params as { id: string }).id, request.body as WidgetCreateBody)),
  );

  scope.put(
    '/api/v1/dashboards/:id/widgets/:wid',
    { preValidation: operator, schema: { tags, params: WidgetParams, body: WidgetUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      const { id, wid } = request.params as WidgetPath;
      await dashboards.updateWidget(userOf(request), id, wid, request.body as WidgetUpdateBody);
      return status('Widget successfully updated.');
    },
  );

  scope.delete(
    '/api/v1/dashboards/:id/widgets/:wid',
    { preValidation: operator, schema: { tags, params: WidgetParams, response: { 200: StatusResponse } } },
    async (request) => {
      const { id, wid } = request.params as WidgetPath;
      await dashboards.deleteWidget(userOf(request), id, wid);
      return status('Widget successfully deleted.');
    },
  );
}
