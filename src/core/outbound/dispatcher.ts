import type { Kysely } from 'kysely';
import { uuidv7 } from '../secrets/index.ts';
import { deliver, type DeliveryResult } from './deliver.ts';
import { createOutboundRepository, type AttemptOutcome, type DeliveryRow, type OutboundSchema } from './repository.ts';
import { signBody, standardWebhookHeaders } from './signing.ts';
import type { DeliveryListener, DeliveryPolicy, DeliverySigning, NewDelivery, Outbound, OutboundDelivery, OutboundOptions } from './types.ts';

/** How long past its timeout an attempt's claim lasts before another instance may assume it died. */
const LEASE_MARGIN_MS = 30_000;

/** last_error of a delivery whose final attempt was cut short by a crash, so its outcome is unknown */
const INTERRUPTED_ERROR = 'Attempt interrupted';

const DEFAULT_POLICY: DeliveryPolicy = { retryingStatus: 'pending', refusedStatus: 'failed', retry: 'transient' };

/**
 * Worth another try: the receiver may recover. A blocked or invalid destination never changes; under
 * the `transient` policy neither does a refusal such as a 4xx.
 */
function isRetryable(result: DeliveryResult, retry: DeliveryPolicy['retry']): boolean {
  if (result.errorKind === 'timeout' || result.errorKind === 'transport') return true;
  if (result.errorKind !== 'http' || result.status === null) return false;
  if (retry === 'any') return true;
  return result.status === 408 || result.status === 425 || result.status === 429 || result.status >= 500;
}

/**
 * Stored among a delivery's headers, it names the header that gets each attempt's unix time. Not a
 * valid header name, so it can never collide with one.
 */
const TIMESTAMP_HEADER_MARK = ':timestamp-header';

/** The stored headers without the mark, and the header the mark names. */
function splitHeaders(stored: string): { headers: Record<string, string>; timestampHeader: string | undefined } {
  const { [TIMESTAMP_HEADER_MARK]: timestampHeader, ...headers } = JSON.parse(stored) as Record<string, string>;
  return { headers, timestampHeader };
}

function toDelivery(row: DeliveryRow, waiting: readonly string[]): OutboundDelivery {
  const signing = row.signing === null ? null : (JSON.parse(row.signing) as DeliverySigning);
  return {
    id: row.id,
    target: row.target,
    url: row.url,
    eventType: row.event_type,
    payload: row.payload,
    headers: splitHeaders(row.headers).headers,
    signingScheme: signing?.scheme ?? null,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: waiting.includes(row.status) ? row.next_attempt_at : null,
    lastError: row.last_error,
    responseCode: row.response_code,
    durationMs: row.duration_ms,
    redeliveryOf: row.redelivery_of,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

export function createOutbound(options: OutboundOptions): Outbound {
  const { logger, guard } = options;
  const concurrency = options.concurrency ?? 10;
  const retryDelaysMs = options.retryDelaysMs ?? [2000, 4000];
  const defaultMaxAttempts = options.maxAttempts ?? retryDelaysMs.length + 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const leaseMs = timeoutMs + LEASE_MARGIN_MS;
  const policy = options.policy ?? DEFAULT_POLICY;
  if (policy.retryingStatus === policy.refusedStatus) throw new RangeError(`a refused delivery cannot keep the retrying status '${policy.retryingStatus}'`);
  const waiting = [...new Set(['pending', policy.retryingStatus] as const)];
  const db = options.database.db as Kysely<OutboundSchema>;
  const repository = createOutboundRepository(db, waiting);
  const asDelivery = (row: DeliveryRow) => toDelivery(row, waiting);
  const listeners = new Set<DeliveryListener>();
  const inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;

  const newRow = (delivery: NewDelivery, nextAttemptAt: number): DeliveryRow => {
    const maxAttempts = delivery.maxAttempts ?? defaultMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
    const headers = delivery.timestampHeader ? { ...delivery.headers, [TIMESTAMP_HEADER_MARK]: delivery.timestampHeader } : (delivery.headers ?? {});
    return {
      id: delivery.id ?? uuidv7(),
      target: delivery.target,
      url: delivery.url,
      event_type: delivery.eventType,
      payload: delivery.payload,
      headers: JSON.stringify(headers),
      signing: delivery.signing ? JSON.stringify(delivery.signing) : null,
      status: 'pending',
      attempts: 0,
      max_attempts: maxAttempts,
      next_attempt_at: nextAttemptAt,
      last_error: null,
      response_code: null,
      duration_ms: null,
      redelivery_of: delivery.redeliveryOf ?? null,
      created_at: Date.now(),
      delivered_at: null,
      priority: delivery.priority ?? 0,
    };
  };

  const attemptHeaders = (row: DeliveryRow): Record<string, string> => {
    const { headers, timestampHeader } = splitHeaders(row.headers);
    if (timestampHeader) headers[timestampHeader] = String(Math.floor(Date.now() / 1000));
    if (row.signing === null) return headers;
    const signing = JSON.parse(row.signing) as DeliverySigning;
    if (signing.scheme === 'hmac-sha256-hex') return { ...headers, [signing.header]: signBody(signing.secret, row.payload) };
    const timestamp = Math.floor(Date.now() / 1000);
    return { ...headers, ...standardWebhookHeaders({ secret: signing.secret, id: row.id, timestamp, body: row.payload }) };
  };

  const outcomeOf = (row: DeliveryRow, result: DeliveryResult): AttemptOutcome => {
    const now = Date.now();
    // counted when claimed
    const { attempts } = row;
    const common = { attempts, next_attempt_at: row.next_attempt_at, response_code: result.status, duration_ms: result.durationMs };
    if (result.ok) return { ...common, status: 'delivered', last_error: null, delivered_at: now };
    const lastError = result.error ?? 'Delivery failed';
    if (!isRetryable(result, policy.retry)) return { ...common, status: policy.refusedStatus, last_error: lastError, delivered_at: null };
    if (attempts >= row.max_attempts) return { ...common, status: 'dead_letter', last_error: lastError, delivered_at: null };
    const scheduled = retryDelaysMs[Math.min(attempts - 1, retryDelaysMs.length - 1)] ?? 0;
    const delay = Math.max(scheduled, Math.min(result.retryAfterMs ?? 0, maxRetryAfterMs));
    return { ...common, status: policy.retryingStatus, next_attempt_at: now + delay, last_error: lastError, delivered_at: null };
  };

  const notify = async (delivery: OutboundDelivery, result: DeliveryResult) => {
    for (const listener of listeners) {
      try {
        await listener(delivery, result);
      } catch (err) {
        logger.warn({ err, deliveryId: delivery.id }, 'outbound result listener failed');
      }
    }
  };

  /** One attempt at a delivery this process has claimed. An attempt aborted by stop() is released, uncounted. */
  const attempt = (row: DeliveryRow): Promise<{ delivery: OutboundDelivery; result: DeliveryResult }> => {
    const controller = new AbortController();
    const run = async () => {
      const result = await deliver({ url: row.url, headers: attemptHeaders(row), body: row.payload, timeoutMs, signal: controller.signal }, guard);
      if (result.errorKind === 'aborted') {
        await repository.release(row.id, row.next_attempt_at, Date.now());
        return { delivery: asDelivery(row), result };
      }
      const outcome = outcomeOf(row, result);
      await repository.recordAttempt(row.id, outcome);
      const delivery = asDelivery({ ...row, ...outcome });
      if (delivery.status === 'dead_letter' || delivery.status === policy.refusedStatus) {
        logger.warn({ deliveryId: row.id, target: row.target, status: delivery.status, error: result.error }, 'outbound delivery gave up');
      }
      await notify(delivery, result);
      return { delivery, result };
    };
    const done = run().finally(() => {
      inFlight.delete(row.id);
      wake();
    });
    inFlight.set(row.id, { controller, done: done.catch(() => undefined) });
    return done;
  };

  /** Its last attempt was cut short by a crash and counted: nothing is left to try. */
  const giveUpInterrupted = async (due: Pick<DeliveryRow, 'id' | 'next_attempt_at'>) => {
    if (await repository.exhaust(due.id, due.next_attempt_at, { status: 'dead_letter', last_error: INTERRUPTED_ERROR })) {
      logger.warn({ deliveryId: due.id, status: 'dead_letter', error: INTERRUPTED_ERROR }, 'outbound delivery gave up');
    }
  };

  const scheduleWake = (nextDueAt: number | undefined) => {
    const delay = nextDueAt === undefined ? pollIntervalMs : Math.min(Math.max(0, nextDueAt - Date.now()), pollIntervalMs);
    clearTimeout(timer);
    timer = setTimeout(wake, delay);
    timer.unref();
  };

  const pump = async () => {
    clearTimeout(timer);
    try {
      let free = concurrency - inFlight.size;
      while (running && free > 0) {
        const due = await repository.due(Date.now(), free);
        for (const candidate of due) {
          if (!running) break;
          if (candidate.attempts >= candidate.max_attempts) {
            await giveUpInterrupted(candidate);
            continue;
          }
          const row = await repository.claim(candidate.id, candidate.next_attempt_at, Date.now() + leaseMs);
          if (row) {
            attempt(row).catch((err) => logger.error({ err, deliveryId: row.id }, 'outbound attempt could not be recorded'));
          }
        }
        if (due.length < free) break;
        free = concurrency - inFlight.size;
      }
      // With every slot busy, a finishing attempt wakes the pump; otherwise sleep until the next due delivery.
      if (running && inFlight.size < concurrency) scheduleWake(await repository.nextDueAt());
    } catch (err) {
      logger.error({ err }, 'outbound dispatcher poll failed');
      if (running) scheduleWake(undefined);
    }
  };

  function wake(): void {
    if (!running) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = pump().finally(() => {
      pumping = undefined;
      if (pumpAgain) {
        pumpAgain = false;
        wake();
      }
    });
  }

  /** Each target's backlog is counted once, then kept up to date here: a burst costs one count per target. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const enqueueAll = async (deliveries: readonly NewDelivery[], transaction?: Kysely<any>): Promise<Array<OutboundDelivery | undefined>> => {
    const now = Date.now();
    const rows = deliveries.map((delivery) => newRow(delivery, now));
    const store = transaction ? createOutboundRepository(transaction, waiting) : repository;
    const backlogs = new Map<string, number>();
    for (const { target, backlogLimit } of deliveries) {
      if (backlogLimit !== undefined && !backlogs.has(target)) backlogs.set(target, await store.backlog(target));
    }
    const accepted = rows.map((row, i) => {
      const { backlogLimit } = deliveries[i]!;
      if (backlogLimit === undefined) return row;
      const backlog = backlogs.get(row.target)!;
      if (backlog >= backlogLimit) return undefined;
      backlogs.set(row.target, backlog + 1);
      return row;
    });
    await store.insertMany(accepted.filter((row) => row !== undefined));
    if (!transaction) wake();
    return accepted.map((row) => row && asDelivery(row));
  };

  return {
    // Only a delivery with a backlog limit can come back undefined, as the overloads say.
    enqueue: (async (delivery: NewDelivery, transaction) => (await enqueueAll([delivery], transaction))[0]) as Outbound['enqueue'],

    enqueueAll,

    wake,

    async deliverNow(delivery) {
      // Born claimed and counted, so the background pump leaves the first attempt to this call.
      const row = { ...newRow(delivery, Date.now() + leaseMs), attempts: 1 };
      await repository.insertMany([row]);
      return attempt(row);
    },

    async list(query = {}) {
      const filter = { target: query.target, status: query.status };
      const [rows, total] = await Promise.all([repository.list(filter, query.limit ?? 50, query.offset ?? 0), repository.count(filter)]);
      return { items: rows.map(asDelivery), total };
    },

    async get(id) {
      const row = await repository.findById(id);
      return row && asDelivery(row);
    },

    async redeliver(id) {
      const original = await repository.findById(id);
      if (!original) return undefined;
      const row = {
        ...newRow(
          {
            target: original.target,
            url: original.url,
            eventType: original.event_type,
            payload: original.payload,
            maxAttempts: original.max_attempts,
            priority: original.priority,
            redeliveryOf: original.id,
          },
          Date.now(),
        ),
        headers: original.headers,
        signing: original.signing,
      };
      await repository.insertMany([row]);
      wake();
      return asDelivery(row);
    },

    removeTarget: (target) => repository.deleteTarget(target),

    purge: (status, before, chunkRows = 5000) => repository.purge(status, before, chunkRows),

    onResult(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async start() {
      running = true;
      wake();
      await pumping;
    },

    async stop() {
      running = false;
      clearTimeout(timer);
      await pumping;
      for (const { controller } of inFlight.values()) controller.abort();
      await Promise.all([...inFlight.values()].map(({ done }) => done));
    },
  };
}
