import { SsrfBlockedError, type SsrfGuard } from '../../../core/outbound/index.ts';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors, valueError } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import { isoZ, isoZOrNull, nowMicros } from '../time.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import type { DeliveryRow, DeliveryStatus, WebhookRow, WebhooksRepo } from './repo.ts';
import type { WebhookCreateBody, WebhookUpdateBody } from './schemas.ts';

export function toWebhookJson(row: WebhookRow) {
  return {
    public_id: row.public_id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    enabled: Boolean(row.enabled),
    has_secret: row.secret !== null,
    created_on: isoZ(row.created_on),
    user_public_id: row.user_public_id,
  };
}

export function toDeliveryJson(row: DeliveryRow) {
  return {
    public_id: row.public_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    response_code: row.response_code,
    created_on: isoZ(row.created_on),
    delivered_on: isoZOrNull(row.delivered_on),
    next_attempt_at: isoZOrNull(row.next_attempt_at),
    redelivery_of: row.redelivery_of,
    payload: JSON.parse(row.payload) as unknown,
  };
}

export interface WebhooksServiceDeps {
  repo: WebhooksRepo;
  database: AppDatabase<WebmacsDatabase>;
  dispatcher: WebhookDispatcher;
  guard: SsrfGuard;
}

/** `/api/v1/webhooks` and their delivery log (spec §3.10, admin). */
export function webhooksService({ repo, database, dispatcher, guard }: WebhooksServiceDeps) {
  async function get(publicId: string): Promise<WebhookRow> {
    const row = isPublicId('whk', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.notFound('Webhook', publicId);
    return row;
  }

  /** Literal link-local, metadata and (unless allowed) loopback targets are refused up front (spec §13). */
  function checkUrl(url: string, body: unknown): void {
    try {
      guard.checkUrl(url);
    } catch (err) {
      if (err instanceof SsrfBlockedError) throw valueError(['body', 'url'], 'Webhook URL targets a blocked address.', body);
      throw valueError(['body', 'url'], 'URL is not valid.', body);
    }
  }

  async function unique(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict('Webhook');
      throw err;
    }
  }

  return {
    get: async (publicId: string) => toWebhookJson(await get(publicId)),

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: rows.map(toWebhookJson) };
    },

    async create(userId: number, body: WebhookCreateBody): Promise<string> {
      checkUrl(body.url, body);
      const publicId = newPublicId('whk');
      await unique(() =>
        repo.insert({
          public_id: publicId,
          url: body.url,
          secret: body.secret ?? null,
          events: JSON.stringify([...new Set(body.events)]),
          enabled: body.enabled ?? true,
          created_on: nowMicros(),
          user_id: userId,
        }),
      );
      return publicId;
    },

    async update(publicId: string, body: WebhookUpdateBody): Promise<void> {
      const row = await get(publicId);
      if (body.url !== undefined) checkUrl(body.url, body);
      await unique(() =>
        repo.update(row.id, {
          url: body.url,
          secret: body.secret,
          events: body.events && JSON.stringify([...new Set(body.events)]),
          enabled: body.enabled,
        }),
      );
    },

    async delete(publicId: string): Promise<void> {
      await repo.delete((await get(publicId)).id);
    },

    async deliveries(publicId: string, status: DeliveryStatus | undefined, limit: number, offset: number) {
      const webhook = await get(publicId);
      const { total, rows } = await repo.deliveriesPage(webhook.id, status, limit, offset);
      return { total, data: rows.map(toDeliveryJson) };
    },

    async redeliver(publicId: string, deliveryPublicId: string): Promise<string> {
      const webhook = await get(publicId);
      const delivery = isPublicId('dlv', deliveryPublicId) ? await repo.findDeliveryByPublicId(webhook.id, deliveryPublicId) : undefined;
      if (!delivery) throw errors.notFound('Delivery', deliveryPublicId);
      if (!webhook.enabled) throw errors.webhookDisabled();
      return dispatcher.redeliver(delivery);
    },
  };
}
