import { SsrfBlockedError, type DeliveryStatus, type Outbound, type OutboundDelivery, type SsrfGuard } from '../../../core/outbound/index.ts';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors, valueError } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import { isoZ, isoZOrNull, nowMicros } from '../time.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import type { WebhookRow, WebhooksRepo } from './repo.ts';
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

const MS_TO_US = 1000;

/** The core outbound keeps epoch ms; webmacs renders µs. `next_attempt_at` is shown while a retry waits. */
export function toDeliveryJson(delivery: OutboundDelivery) {
  const retryAt = delivery.status === 'failed' ? delivery.nextAttemptAt : null;
  return {
    public_id: delivery.id,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    last_error: delivery.lastError,
    response_code: delivery.responseCode,
    created_on: isoZ(delivery.createdAt * MS_TO_US),
    delivered_on: isoZOrNull(delivery.deliveredAt === null ? null : delivery.deliveredAt * MS_TO_US),
    next_attempt_at: isoZOrNull(retryAt === null ? null : retryAt * MS_TO_US),
    redelivery_of: delivery.redeliveryOf,
    payload: JSON.parse(delivery.payload) as unknown,
  };
}

export interface WebhooksServiceDeps {
  repo: WebhooksRepo;
  database: AppDatabase<WebmacsDatabase>;
  dispatcher: WebhookDispatcher;
  outbound: Outbound;
  guard: SsrfGuard;
}

/** `/api/v1/webhooks` and their delivery log (spec §3.10, admin). */
export function webhooksService({ repo, database, dispatcher, outbound, guard }: WebhooksServiceDeps) {
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

    /** Its deliveries go too; one in flight finishes unrecorded. */
    async delete(publicId: string): Promise<void> {
      const webhook = await get(publicId);
      await repo.delete(webhook.id);
      await outbound.removeTarget(webhook.public_id);
    },

    async deliveries(publicId: string, status: DeliveryStatus | undefined, limit: number, offset: number) {
      const webhook = await get(publicId);
      const { total, items } = await outbound.list({ target: webhook.public_id, status, limit, offset });
      return { total, data: items.map(toDeliveryJson) };
    },

    async redeliver(publicId: string, deliveryPublicId: string): Promise<string> {
      const webhook = await get(publicId);
      const delivery = isPublicId('dlv', deliveryPublicId) ? await outbound.get(deliveryPublicId) : undefined;
      if (delivery?.target !== webhook.public_id) throw errors.notFound('Delivery', deliveryPublicId);
      if (!webhook.enabled) throw errors.webhookDisabled();
      return dispatcher.redeliver(webhook, delivery);
    },
  };
}
