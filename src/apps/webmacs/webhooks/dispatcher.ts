import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { JobEngine } from '../../../core/jobs/index.ts';
import { deliver, signBody, type SsrfGuard } from '../../../core/outbound/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { newPublicId } from '../ids.ts';
import { isoOffset, nowMicros } from '../time.ts';
import type { DeliveryRow, WebhooksRepo } from './repo.ts';
import type { WebhookEventType } from './schemas.ts';

export const DELIVER_JOB = 'webmacs.webhook.deliver';

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
  jobs: JobEngine;
  guard: SsrfGuard;
  logger: Logger;
  userAgent: string;
  timeoutMs: number;
  maxAttempts: number;
  /** wait after attempt n (1-based) before the next; the last entry repeats */
  backoffMs: readonly number[];
  concurrency: number;
  maxPending: number;
}

/** Fields of a payload after `type`; `time` is in µs and rendered with `+00:00` (D33). */
export type PayloadFields = { time: number } & Record<string, unknown>;

/**
 * Webhook fan-out and delivery (spec §4.4): a delivery row per subscribed enabled webhook plus a
 * durable job; each job makes one attempt through the core outbound client (SSRF guard, timeout) and
 * schedules the next one itself, so retries wait exactly 2 s then 4 s without holding a slot.
 */
export class WebhookDispatcher {
  /** the SSRF policy deliveries are sent under, also applied to URLs at create/update */
  readonly guard: SsrfGuard;

  constructor(private readonly options: DispatcherOptions) {
    this.guard = options.guard;
    options.jobs.define<{ deliveryId: number }, void>(DELIVER_JOB, (job) => this.attempt(job.payload.deliveryId), {
      concurrency: options.concurrency,
    });
  }

  /** Fire and forget: failures are logged, never surfaced to the request that caused them. */
  emit(type: WebhookEventType, fields: PayloadFields): void {
    this.options.database
      .transaction((trx) => this.emitWithin(trx, type, fields))
      .catch((err: unknown) => this.options.logger.error({ err, type }, 'webhook fan-out failed'));
  }

  /** Inserts the deliveries and their jobs in the caller's transaction (rule claims, spec §4.3). */
  async emitWithin(trx: Transaction<WebmacsDatabase>, type: WebhookEventType, fields: PayloadFields): Promise<number> {
    const { repo, jobs } = this.options;
    let targets = (await repo.enabled(trx)).filter((webhook) => (JSON.parse(webhook.events) as string[]).includes(type));
    if (type === 'sensor.reading' && targets.length) {
      const backlog = await repo.backlog(
        targets.map((t) => t.id),
        trx,
      );
      targets = targets.filter((t) => (backlog.get(t.id) ?? 0) < this.options.maxPending);
    }
    if (targets.length === 0) return 0;
    const { time, ...rest } = fields;
    const payload = JSON.stringify({ type, time: isoOffset(time), ...rest });
    const createdOn = nowMicros();
    const ids = await repo.insertDeliveries(
      trx,
      targets.map((webhook) => ({
        public_id: newPublicId('dlv'),
        webhook_id: webhook.id,
        event_type: type,
        payload,
        status: 'pending' as const,
        attempts: 0,
        last_error: null,
        response_code: null,
        created_on: createdOn,
        delivered_on: null,
        next_attempt_at: null,
        redelivery_of: null,
      })),
    );
    await jobs.enqueueMany(
      ids.map((deliveryId) => ({ type: DELIVER_JOB, payload: { deliveryId }, options: { priority: PRIORITY[type] } })),
      { trx },
    );
    return ids.length;
  }

  /** A new delivery of the same event and payload (spec §3.10 redeliver). */
  async redeliver(original: DeliveryRow): Promise<string> {
    const publicId = newPublicId('dlv');
    await this.options.database.transaction(async (trx) => {
      const [deliveryId] = await this.options.repo.insertDeliveries(trx, [
        {
          public_id: publicId,
          webhook_id: original.webhook_id,
          event_type: original.event_type,
          payload: original.payload,
          status: 'pending',
          attempts: 0,
          last_error: null,
          response_code: null,
          created_on: nowMicros(),
          delivered_on: null,
          next_attempt_at: null,
          redelivery_of: original.public_id,
        },
      ]);
      await this.options.jobs.enqueue(DELIVER_JOB, { deliveryId }, { trx, priority: PRIORITY[original.event_type as WebhookEventType] ?? 0 });
    });
    return publicId;
  }

  private async attempt(deliveryId: number): Promise<void> {
    const { repo, guard, timeoutMs, maxAttempts, backoffMs, userAgent, jobs } = this.options;
    const delivery = await repo.findDelivery(deliveryId);
    if (!delivery || delivery.status === 'delivered' || delivery.status === 'dead_letter') return;
    const webhook = await repo.findById(delivery.webhook_id);
    if (!webhook) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-webhook-event': delivery.event_type,
      'x-webhook-delivery': delivery.public_id,
      'user-agent': userAgent,
    };
    if (webhook.secret) headers['x-webhook-signature'] = signBody(webhook.secret, delivery.payload);
    const result = await deliver({ url: webhook.url, headers, body: delivery.payload, timeoutMs }, guard);
    const attempts = delivery.attempts + 1;
    const now = nowMicros();
    const common = { attempts, response_code: result.status, next_attempt_at: null };
    if (result.ok) {
      await repo.recordAttempt(deliveryId, { ...common, status: 'delivered', last_error: null, delivered_on: now });
      return;
    }
    const finalFailure = attempts >= maxAttempts || result.errorKind === 'blocked' || result.errorKind === 'invalid_url';
    if (finalFailure) {
      await repo.recordAttempt(deliveryId, { ...common, status: 'dead_letter', last_error: result.error ?? 'Delivery failed' });
      this.options.logger.warn({ delivery: delivery.public_id, error: result.error }, 'webhook delivery dead-lettered');
      return;
    }
    const waitMs = backoffMs[Math.min(attempts - 1, backoffMs.length - 1)] ?? 0;
    const nextAttemptAt = now + waitMs * 1000;
    await repo.recordAttempt(deliveryId, { ...common, status: 'failed', last_error: result.error ?? 'Delivery failed', next_attempt_at: nextAttemptAt });
    await jobs.enqueue(DELIVER_JOB, { deliveryId }, { runAt: Date.now() + waitMs, priority: PRIORITY[delivery.event_type as WebhookEventType] ?? 0 });
  }
}
