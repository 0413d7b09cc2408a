import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { DeliveryPolicy, NewDelivery, Outbound, OutboundDelivery, SsrfGuard } from '../../../core/outbound/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { newPublicId } from '../ids.ts';
import { isoOffset } from '../time.ts';
import type { WebhookRow, WebhooksRepo } from './repo.ts';
import type { WebhookEventType } from './schemas.ts';

/**
 * Spec §4.4 and D11: a delivery waiting for its retry shows `failed` (with `next_attempt_at`); every
 * failed attempt is retried (a 4xx too) until the last, which ends `dead_letter`, as does a blocked
 * destination.
 */
export const WEBHOOK_DELIVERY_POLICY: DeliveryPolicy = { retryingStatus: 'failed', refusedStatus: 'dead_letter', retry: 'any' };

/** Rule, experiment and system deliveries go before the sensor.reading stream (spec §4.4). */
const PRIORITY: Record<WebhookEventType, number> = {
  'sensor.threshold_exceeded': 10,
  'experiment.started': 10,
  'experiment.stopped': 10,
  'system.health_changed': 10,
  'sensor.reading': 0,
};

export interface DispatcherOptions {
  database: AppDatabase<WebmacsDatabase>;
  repo: WebhooksRepo;
  /** the core dispatcher of this app: durable queue, attempts, retries, concurrency */
  outbound: Outbound;
  /** the SSRF policy URLs are checked against at create/update (the outbound checks again at send time) */
  guard: SsrfGuard;
  logger: Logger;
  userAgent: string;
  /** `WEBMACS_WEBHOOK_MAX_PENDING`: waiting deliveries a webhook may hold before sensor.reading is skipped */
  maxPending: number;
  /** `webmacs_webhook_dropped_total` */
  dropped: Counter;
}

/** Fields of a payload after `type`; `time` is in µs and rendered with `+00:00` (D33). */
export type PayloadFields = { time: number } & Record<string, unknown>;

/**
 * Webhook fan-out (spec §4.4): every enabled webhook subscribed to the event type gets a delivery in
 * the core outbound dispatcher, which signs (hex HMAC-SHA256 of the body, D11), sends, retries and
 * records it. Ingestion only inserts rows; it never waits for HTTP.
 */
export class WebhookDispatcher {
  readonly guard: SsrfGuard;
  /** emits of the current tick, committed together */
  private queued: Array<{ type: WebhookEventType; fields: PayloadFields }> = [];

  constructor(private readonly options: DispatcherOptions) {
    this.guard = options.guard;
  }

  /**
   * Fire and forget: failures are logged, never surfaced to the request that caused them. The emits
   * of one tick (the sensor.reading of every event in an ingested batch) are queued in one short
   * transaction with one insert: one commit instead of one per event keeps the write-ahead log, and
   * with it the checkpoints that stall ingestion, from growing with the number of webhooks (P7).
   */
  emit(type: WebhookEventType, fields: PayloadFields): void {
    if (this.queued.length === 0) queueMicrotask(() => this.commitQueued());
    this.queued.push({ type, fields });
  }

  private commitQueued(): void {
    const emits = this.queued;
    this.queued = [];
    this.options.database
      .transaction((trx) => this.fanOut(trx, emits))
      .then(() => this.options.outbound.wake())
      .catch((err: unknown) => this.options.logger.error({ err, types: [...new Set(emits.map((e) => e.type))] }, 'webhook fan-out failed'));
  }

  /**
   * Inserts the deliveries in the caller's transaction (rule claims, spec §4.3); the outbound's next
   * poll picks them up once committed. Returns how many were queued.
   */
  async emitWithin(trx: Transaction<WebmacsDatabase>, type: WebhookEventType, fields: PayloadFields): Promise<number> {
    return this.fanOut(trx, [{ type, fields }]);
  }

  private async fanOut(trx: Transaction<WebmacsDatabase>, emits: ReadonlyArray<{ type: WebhookEventType; fields: PayloadFields }>): Promise<number> {
    const enabled = (await this.options.repo.enabled(trx)).map((webhook) => ({ webhook, events: JSON.parse(webhook.events) as string[] }));
    const deliveries: NewDelivery[] = [];
    for (const { type, fields } of emits) {
      const { time, ...rest } = fields;
      const payload = JSON.stringify({ type, time: isoOffset(time), ...rest });
      const backlogLimit = type === 'sensor.reading' ? this.options.maxPending : undefined;
      for (const { webhook, events } of enabled) if (events.includes(type)) deliveries.push({ ...this.delivery(webhook, type, payload), backlogLimit });
    }
    if (deliveries.length === 0) return 0;
    const queued = (await this.options.outbound.enqueueAll(deliveries, trx)).filter((delivery) => delivery !== undefined).length;
    this.options.dropped.inc(deliveries.length - queued);
    return queued;
  }

  /** A new delivery of the same event and payload to the webhook as it is now (spec §3.10 redeliver). */
  async redeliver(webhook: WebhookRow, original: OutboundDelivery): Promise<string> {
    const delivery = await this.options.outbound.enqueue({ ...this.delivery(webhook, original.eventType as WebhookEventType, original.payload), redeliveryOf: original.id });
    return delivery.id;
  }

  private delivery(webhook: WebhookRow, type: WebhookEventType, payload: string): NewDelivery & { backlogLimit?: undefined } {
    const id = newPublicId('dlv');
    return {
      id,
      target: webhook.public_id,
      url: webhook.url,
      eventType: type,
      payload,
      headers: {
        'content-type': 'application/json',
        'x-webhook-event': type,
        'x-webhook-delivery': id,
        'user-agent': this.options.userAgent,
      },
      timestampHeader: 'x-webhook-timestamp',
      signing: webhook.secret ? { scheme: 'hmac-sha256-hex', secret: webhook.secret, header: 'x-webhook-signature' } : undefined,
      priority: PRIORITY[type] ?? 0,
    };
  }
}
