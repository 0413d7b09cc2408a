import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { webhooksRepo } from './repo.ts';
import { scheduleDeliveryRetention } from './retention.ts';
import { Delivery, DeliveryListQuery, DeliveryParams, Webhook, WebhookCreateBody, WebhookUpdateBody } from './schemas.ts';
import { webhooksService } from './service.ts';

/** `/api/v1/webhooks` (spec §3.10): admin only. */
export async function registerWebhookRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): Promise<void> {
  const { auth } = wm;
  const repo = webhooksRepo(wm.db);
  await scheduleDeliveryRetention(wm.app.jobs, wm.app.outbound, wm.settings.WEBMACS_WEBHOOK_DELIVERY_RETENTION_DAYS);
  const webhooks = webhooksService({ repo, database: wm.database, dispatcher: lab.webhooks, outbound: wm.app.outbound, guard: lab.webhooks.guard });
  const admin = auth.requireRole('admin');
  const tags = ['webhooks'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  scope.get('/api/v1/webhooks', { preValidation: admin, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Webhook) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await webhooks.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/webhooks/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: Webhook } } }, async (request) =>
    webhooks.get(idOf(request)),
  );

  scope.post('/api/v1/webhooks', { preValidation: admin, schema: { tags, body: WebhookCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const publicId = await webhooks.create(auth.principal(request).user.id, request.body as WebhookCreateBody);
    return reply.code(201).send(created('Webhook successfully created.', publicId));
  });

  scope.put('/api/v1/webhooks/:id', { preValidation: admin, schema: { tags, params: IdParams, body: WebhookUpdateBody, response: { 200: StatusResponse } } }, async (request) => {
    await webhooks.update(idOf(request), request.body as WebhookUpdateBody);
    return status('Webhook successfully updated.');
  });

  scope.delete('/api/v1/webhooks/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await webhooks.delete(idOf(request));
    return status('Webhook successfully deleted.');
  });

  scope.get(
    '/api/v1/webhooks/:id/deliveries',
    { preValidation: admin, schema: { tags, params: IdParams, querystring: DeliveryListQuery, response: { 200: pageOf(Delivery) } } },
    async (request) => {
      const query = request.query as DeliveryListQuery;
      const { limit, offset } = pageWindow(query);
      const { total, data } = await webhooks.deliveries(idOf(request), query.status, limit, offset);
      return toPage(query, total, data);
    },
  );

  scope.post('/api/v1/webhooks/:id/deliveries/:did/redeliver', { preValidation: admin, schema: { tags, params: DeliveryParams, response: { 202: CreatedResponse } } }, async (request, reply) => {
    const { id, did } = request.params as { id: string; did: string };
    return reply.code(202).send(created('Redelivery scheduled.', await webhooks.redeliver(id, did)));
  });
}
