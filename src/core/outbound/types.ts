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
  /** the app's channel, webhook or provider id; list() filters on it */
  target: string;
  url: string;
  eventType: string;
  /** the exact body, sent as-is with POST */
  payload: string;
  headers?: Record<string, string>;
  /** signed afresh at every attempt; the secret is stored with the delivery but never returned */
  signing?: DeliverySigning;
  maxAttempts?: number;
}

export interface OutboundDelivery {
  id: string;
  target: string;
  url: string;
  eventType: string;
  payload: string;
  headers: Record<string, string>;
  signingScheme: DeliverySigning['scheme'] | null;
  /** pending: will be tried (again); failed: refused for good (blocked, 4xx); dead_letter: retries exhausted */
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  /** epoch ms of the next try while pending, else null */
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
  /** stores a pending delivery; pass a transaction to commit it with the event that caused it */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  enqueue(delivery: NewDelivery, transaction?: Kysely<any>): Promise<OutboundDelivery>;
  /** stores and makes the first attempt at once (test buttons); retries, if any, follow in the background */
  deliverNow(delivery: NewDelivery): Promise<{ delivery: OutboundDelivery; result: DeliveryResult }>;
  /** newest first */
  list(query?: DeliveryQuery): Promise<{ items: OutboundDelivery[]; total: number }>;
  get(id: string): Promise<OutboundDelivery | undefined>;
  /** a new pending delivery with the same target, URL, event, payload and headers; undefined if `id` is unknown */
  redeliver(id: string): Promise<OutboundDelivery | undefined>;
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
  timeoutMs?: number;
  /** a receiver's Retry-After is honoured up to this */
  maxRetryAfterMs?: number;
  /** how often other instances' and delayed deliveries are looked for */
  pollIntervalMs?: number;
}
