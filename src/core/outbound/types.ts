import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppDatabase } from '../db/index.ts';
import type { DeliveryResult } from './deliver.ts';
import type { DeliveryFilter, DeliveryStatus } from './repository.ts';
import type { SsrfGuard } from './ssrf.ts';

export type DeliverySigning =
  /** hex HMAC-SHA256 of the body in the named header (`X-Webhook-Signature`) */
  | { scheme: 'hmac-sha256-hex'; secret: string; header: string }
  /** webhook-id / webhook-timestamp / webhook-signature, signed per attempt */
  | { scheme: 'standard-webhooks'; secret: string };

export interface NewDelivery {
  /** the app's own id for the delivery (it may name it to receivers); a UUIDv7 when absent */
  id?: string;
  /** the app's channel, webhook or provider id; list() filters on it */
  target: string;
  url: string;
  eventType: string;
  /** the exact body, sent as-is with POST */
  payload: string;
  headers?: Record<string, string>;
  /** signed afresh at every attempt; the secret is stored with the delivery but never returned */
  signing?: DeliverySigning;
  /** a header set to the attempt's unix time (seconds) on every attempt */
  timestampHeader?: string;
  maxAttempts?: number;
  /** higher goes first among due deliveries (default 0) */
  priority?: number;
  /**
   * Skip this delivery (enqueue answers undefined) while its target already has this many waiting
   * (pending or retrying): a stream of readings must not pile up behind a receiver that is down.
   */
  backlogLimit?: number;
  /** the delivery this one repeats */
  redeliveryOf?: string;
}

/**
 * What statuses mean and which failures are retried; one policy per app. The default: a delivery
 * waiting for a retry stays `pending`, a refusal (blocked, 4xx) ends `failed`, and only transient
 * failures (timeouts, transport errors, 408/425/429/5xx) are retried.
 */
export interface DeliveryPolicy {
  /** the status of a delivery waiting for its next attempt after a failure */
  retryingStatus: 'pending' | 'failed';
  /** the final status of a delivery that will not be retried before its attempts run out */
  refusedStatus: 'failed' | 'dead_letter';
  /** `transient`: timeouts, transport errors, 408/425/429/5xx; `any`: every failure but a blocked or invalid destination */
  retry: 'transient' | 'any';
}

export interface OutboundDelivery {
  id: string;
  target: string;
  url: string;
  eventType: string;
  payload: string;
  headers: Record<string, string>;
  signingScheme: DeliverySigning['scheme'] | null;
  /** as the app's DeliveryPolicy defines: waiting for an attempt, delivered, refused, retries exhausted */
  status: DeliveryStatus;
  /** attempts made, one under way included: it is counted when it starts, so a crash cannot hide it */
  attempts: number;
  maxAttempts: number;
  /** epoch ms of the next try while one is due, else null */
  nextAttemptAt: number | null;
  lastError: string | null;
  responseCode: number | null;
  durationMs: number | null;
  redeliveryOf: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export type DeliveryListener = (delivery: OutboundDelivery, result: DeliveryResult) => void | Promise<void>;

export interface DeliveryQuery extends DeliveryFilter {
  limit?: number;
  offset?: number;
}

export interface Outbound {
  /**
   * Stores a pending delivery; pass a transaction to commit it with the event that caused it (then
   * call wake() after the commit). Undefined when the target's backlog limit skipped it.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  enqueue(delivery: NewDelivery & { backlogLimit?: undefined }, transaction?: Kysely<any>): Promise<OutboundDelivery>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  enqueue(delivery: NewDelivery, transaction?: Kysely<any>): Promise<OutboundDelivery | undefined>;
  /**
   * enqueue() for many deliveries at once, in one insert; each backlog limit counts the deliveries
   * accepted before it in the list. Answers in the same order, undefined where a limit skipped one.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  enqueueAll(deliveries: readonly NewDelivery[], transaction?: Kysely<any>): Promise<Array<OutboundDelivery | undefined>>;
  /** looks for due deliveries now instead of at the next poll */
  wake(): void;
  /** stores and makes the first attempt at once (test buttons); retries, if any, follow in the background */
  deliverNow(delivery: NewDelivery): Promise<{ delivery: OutboundDelivery; result: DeliveryResult }>;
  /** newest first */
  list(query?: DeliveryQuery): Promise<{ items: OutboundDelivery[]; total: number }>;
  get(id: string): Promise<OutboundDelivery | undefined>;
  /** a new pending delivery with the same target, URL, event, payload and headers; undefined if `id` is unknown */
  redeliver(id: string): Promise<OutboundDelivery | undefined>;
  /** deletes every delivery of a target (its webhook is gone); attempts in flight finish unrecorded */
  removeTarget(target: string): Promise<number>;
  /** deletes deliveries of one status created before `before` (epoch ms), `chunkRows` per statement */
  purge(status: DeliveryStatus, before: number, chunkRows?: number): Promise<number>;
  /** called after every recorded attempt, so apps can keep their own delivery logs; returns an unsubscribe */
  onResult(listener: DeliveryListener): () => void;
  start(): Promise<void>;
  /** stops polling and aborts attempts in flight; they are not counted and are picked up again later */
  stop(): Promise<void>;
}

export interface OutboundOptions {
  database: AppDatabase;
  logger: Logger;
  guard: SsrfGuard;
  /** attempts in flight at once, per process; a delivery waiting for its retry holds no slot */
  concurrency?: number;
  /** wait before retry n (the last entry repeats); default [2000, 4000] */
  retryDelaysMs?: readonly number[];
  /** default: one more than the retry delays */
  maxAttempts?: number;
  /** default: retrying deliveries stay `pending`, refusals end `failed`, transient failures retried */
  policy?: DeliveryPolicy;
  timeoutMs?: number;
  /** a receiver's Retry-After is honoured up to this */
  maxRetryAfterMs?: number;
  /** how often other instances' and delayed deliveries are looked for */
  pollIntervalMs?: number;
}
