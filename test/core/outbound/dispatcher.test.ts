import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { migrateToLatest } from '../../../src/core/db/index.ts';
import {
  createOutbound,
  createSsrfGuard,
  outboundMigrations,
  standardWebhookHeaders,
  verifySignature,
  type DeliveryResult,
  type NewDelivery,
  type Outbound,
  type OutboundDelivery,
  type OutboundOptions,
} from '../../../src/core/outbound/index.ts';
import type { OutboundSchema } from '../../../src/core/outbound/repository.ts';
import { openTestDatabase, type TestDatabase } from '../../helpers/db.ts';
import { startReceiver, type Answer, type Receiver, type ReceivedRequest } from './receiver.ts';

const loopbackGuard = createSsrfGuard({ allowLoopback: true });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function track<T extends { close(): Promise<void> }>(resource: T): Promise<T> {
  cleanups.push(() => resource.close());
  return resource;
}

/** Records every attempt's result and resolves waits on them (no sleeping). */
function recordResults(outbound: Outbound) {
  const results: Array<{ delivery: OutboundDelivery; result: DeliveryResult }> = [];
  const waiters: Array<{ done: () => boolean; resolve: () => void }> = [];
  outbound.onResult((delivery, result) => {
    results.push({ delivery, result });
    for (const waiter of waiters.filter((w) => w.done())) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const until = (done: () => boolean) => (done() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ done, resolve })));
  return {
    results,
    /** resolves once `count` deliveries have reached a final status */
    finals: (count: number) => until(() => results.filter((r) => r.delivery.status !== 'pending').length >= count),
  };
}

let testDb: TestDatabase;

async function setup(answer: (index: number, request: ReceivedRequest) => Answer, options: Partial<OutboundOptions> = {}) {
  testDb = await openTestDatabase('outbound');
  cleanups.push(() => testDb.dispose());
  await migrateToLatest(testDb.database, outboundMigrations);
  const receiver: Receiver = await track(await startReceiver(answer));
  const outbound = createOutbound({
    database: testDb.database,
    logger: pino({ level: 'silent' }),
    guard: loopbackGuard,
    retryDelaysMs: [50, 50],
    pollIntervalMs: 50,
    timeoutMs: 2000,
    ...options,
  });
  cleanups.push(() => outbound.stop());
  return { receiver, outbound, recorder: recordResults(outbound) };
}

function webhook(receiver: Receiver, overrides: Partial<Omit<NewDelivery, 'backlogLimit'>> = {}): NewDelivery & { backlogLimit?: undefined } {
  return {
    target: 'hook-1',
    url: receiver.url,
    eventType: 'experiment.started',
    payload: '{"event":"experiment.started","experiment":"Run 1"}',
    headers: { 'content-type': 'application/json' },
    ...overrides,
  };
}

describe('outbound dispatcher', () => {
  it('delivers an enqueued, signed delivery and records it', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 204 }));
    const queued = await outbound.enqueue(webhook(receiver, { signing: { scheme: 'hmac-sha256-hex', secret: 's3cr3t', header: 'X-Webhook-Signature' } }));
    assert.deepEqual([queued.status, queued.attempts, queued.maxAttempts, queued.signingScheme], ['pending', 0, 3, 'hmac-sha256-hex']);
    await outbound.start();
    await recorder.finals(1);
    const stored = await outbound.get(queued.id);
    assert.equal(stored?.status, 'delivered');
    assert.equal(stored?.attempts, 1);
    assert.equal(stored?.responseCode, 204);
    assert.equal(stored?.lastError, null);
    assert.equal(stored?.nextAttemptAt, null);
    assert.ok(stored?.deliveredAt && stored.deliveredAt >= queued.createdAt);
    assert.ok(stored?.durationMs !== null && stored!.durationMs >= 0);
    const [request] = receiver.received;
    assert.equal(request?.body.toString('utf8'), queued.payload);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(verifySignature('s3cr3t', request!.body, String(request?.headers['x-webhook-signature'])), true);
    assert.equal(JSON.stringify(stored).includes('s3cr3t'), false);
  });

  it('retries a receiver answering 500 then 200 and delivers', async () => {
    const { receiver, outbound, recorder } = await setup((index) => ({ status: index === 0 ? 500 : 200 }));
    await outbound.start();
    const queued = await outbound.enqueue(webhook(receiver));
    await recorder.finals(1);
    const [first, second] = recorder.results;
    assert.deepEqual([first?.delivery.status, first?.delivery.attempts, first?.delivery.lastError, first?.delivery.responseCode], ['pending', 1, 'HTTP 500', 500]);
    assert.ok(first!.delivery.nextAttemptAt! >= first!.delivery.createdAt + 50);
    assert.deepEqual([second?.delivery.status, second?.delivery.attempts, second?.delivery.lastError], ['delivered', 2, null]);
    assert.equal((await outbound.get(queued.id))?.status, 'delivered');
    assert.equal(receiver.received.length, 2);
  });

  it('dead-letters a receiver that always answers 500 after max attempts', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 500 }));
    await outbound.start();
    const queued = await outbound.enqueue(webhook(receiver));
    await recorder.finals(1);
    const stored = await outbound.get(queued.id);
    assert.deepEqual([stored?.status, stored?.attempts, stored?.lastError, stored?.responseCode], ['dead_letter', 3, 'HTTP 500', 500]);
    assert.deepEqual(recorder.results.map((r) => r.delivery.status), ['pending', 'pending', 'dead_letter']);
    assert.equal(receiver.received.length, 3);
  });

  it('honours a per-delivery maxAttempts', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 503 }));
    await outbound.start();
    await outbound.enqueue(webhook(receiver, { maxAttempts: 1 }));
    await recorder.finals(1);
    assert.deepEqual(recorder.results.map((r) => [r.delivery.status, r.delivery.attempts]), [['dead_letter', 1]]);
  });

  it('fails a 4xx answer at once, without retrying', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 404 }));
    await outbound.start();
    await outbound.enqueue(webhook(receiver));
    await recorder.finals(1);
    assert.deepEqual(recorder.results.map((r) => [r.delivery.status, r.delivery.attempts, r.delivery.lastError]), [['failed', 1, 'HTTP 404']]);
    assert.equal(receiver.received.length, 1);
  });

  it('fails a blocked destination at once, without connecting', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 200 }), { guard: createSsrfGuard() });
    await outbound.start();
    await outbound.enqueue(webhook(receiver));
    await outbound.enqueue(webhook(receiver, { url: 'http://169.254.169.254/latest/meta-data/' }));
    await recorder.finals(2);
    for (const { delivery, result } of recorder.results) {
      assert.deepEqual([delivery.status, delivery.attempts, delivery.lastError, delivery.responseCode, result.errorKind], ['failed', 1, 'Blocked destination address', null, 'blocked']);
    }
    assert.equal(receiver.received.length, 0);
  });

  it('retries after a timeout', async () => {
    const { receiver, outbound, recorder } = await setup((index) => (index === 0 ? 'hang' : { status: 200 }), { timeoutMs: 150 });
    await outbound.start();
    await outbound.enqueue(webhook(receiver));
    await recorder.finals(1);
    assert.deepEqual(recorder.results.map((r) => [r.delivery.status, r.delivery.lastError, r.delivery.responseCode]), [
      ['pending', 'Timeout', null],
      ['delivered', null, 200],
    ]);
  });

  it('waits for a receiver\'s Retry-After, up to the cap', async () => {
    const { receiver, outbound, recorder } = await setup((index) => (index === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 }), {
      retryDelaysMs: [10],
      maxRetryAfterMs: 300,
    });
    await outbound.start();
    const before = Date.now();
    await outbound.enqueue(webhook(receiver));
    await recorder.finals(1);
    const first = recorder.results[0]!.delivery;
    assert.equal(first.lastError, 'HTTP 429');
    assert.ok(first.nextAttemptAt! >= before + 300 && first.nextAttemptAt! <= Date.now() + 300, String(first.nextAttemptAt! - before));
    assert.equal(recorder.results[1]?.delivery.status, 'delivered');
  });

  it('keeps at most `concurrency` attempts in flight', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 200, delayMs: 80 }), { concurrency: 3 });
    for (let i = 0; i < 10; i++) await outbound.enqueue(webhook(receiver, { payload: `{"n":${i}}` }));
    await outbound.start();
    await recorder.finals(10);
    assert.equal(receiver.received.length, 10);
    assert.equal(receiver.maxOpen, 3);
  });

  it('lists deliveries newest first, filtered by target and status, with the total', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }));
    const a1 = await outbound.enqueue(webhook(receiver, { target: 'a' }));
    const b1 = await outbound.enqueue(webhook(receiver, { target: 'b' }));
    const a2 = await outbound.enqueue(webhook(receiver, { target: 'a' }));
    const all = await outbound.list();
    assert.deepEqual([all.total, all.items.map((d) => d.id)], [3, [a2.id, b1.id, a1.id]]);
    const page = await outbound.list({ target: 'a', limit: 1, offset: 1 });
    assert.deepEqual([page.total, page.items.map((d) => d.id)], [2, [a1.id]]);
    assert.deepEqual(await outbound.list({ status: 'delivered' }), { items: [], total: 0 });
    assert.equal(await outbound.get('01890a5d-ac96-774b-bcce-b302099a8057'), undefined);
  });

  it('redelivers with the same content as a new delivery', async () => {
    const { receiver, outbound, recorder } = await setup((index) => ({ status: index === 0 ? 404 : 200 }));
    await outbound.start();
    const original = await outbound.enqueue(webhook(receiver, { signing: { scheme: 'hmac-sha256-hex', secret: 'k', header: 'X-Sig' } }));
    await recorder.finals(1);
    const again = await outbound.redeliver(original.id);
    assert.ok(again);
    assert.notEqual(again.id, original.id);
    assert.deepEqual(
      [again.redeliveryOf, again.status, again.attempts, again.target, again.payload, again.headers, again.signingScheme],
      [original.id, 'pending', 0, original.target, original.payload, original.headers, 'hmac-sha256-hex'],
    );
    await recorder.finals(2);
    assert.equal((await outbound.get(again.id))?.status, 'delivered');
    assert.equal(receiver.received[1]?.headers['x-sig'], receiver.received[0]?.headers['x-sig']);
    assert.equal(await outbound.redeliver('01890a5d-ac96-774b-bcce-b302099a8057'), undefined);
  });

  it('deliverNow returns the first attempt and leaves retries to the background', async () => {
    const { receiver, outbound, recorder } = await setup((index) => ({ status: index === 0 ? 502 : 200 }));
    const { delivery, result } = await outbound.deliverNow(webhook(receiver));
    assert.deepEqual([result.ok, result.status, delivery.status, delivery.attempts], [false, 502, 'pending', 1]);
    await outbound.start();
    await recorder.finals(1);
    assert.equal((await outbound.get(delivery.id))?.status, 'delivered');
    assert.equal(receiver.received.length, 2);
  });

  it('signs Standard Webhooks headers per attempt with the delivery id', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }));
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const { delivery } = await outbound.deliverNow(webhook(receiver, { signing: { scheme: 'standard-webhooks', secret } }));
    const headers = receiver.received[0]!.headers;
    const timestamp = Number(headers['webhook-timestamp']);
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 5);
    assert.deepEqual(
      { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
      (({ 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature }) => ({ id, timestamp: ts, signature }))(
        standardWebhookHeaders({ secret, id: delivery.id, timestamp, body: delivery.payload }),
      ),
    );
  });

  it('stop aborts attempts in flight without counting them, and another instance finishes them', async () => {
    let hang = true;
    const { receiver, outbound } = await setup(() => (hang ? 'hang' : { status: 200 }));
    await outbound.start();
    const queued = await outbound.enqueue(webhook(receiver));
    await receiver.waitFor(1);
    await outbound.stop();
    const released = await outbound.get(queued.id);
    assert.deepEqual([released?.status, released?.attempts], ['pending', 0]);
    assert.ok(released!.nextAttemptAt! <= Date.now());

    hang = false;
    const second = createOutbound({ database: await testDb.reopen(), logger: pino({ level: 'silent' }), guard: loopbackGuard, pollIntervalMs: 50 });
    cleanups.push(() => second.stop());
    const recorder = recordResults(second);
    await second.start();
    await recorder.finals(1);
    assert.deepEqual([recorder.results[0]?.delivery.status, recorder.results[0]?.delivery.attempts], ['delivered', 1]);
  });

  it('attempts a due retry before first attempts queued after its delivery began', async () => {
    const { receiver, outbound, recorder } = await setup((index, request) => (index === 0 ? { status: 500 } : { status: 200, delayMs: request.body.toString() === '{"n":"retried"}' ? 0 : 30 }), {
      concurrency: 1,
    });
    await outbound.enqueue(webhook(receiver, { payload: '{"n":"retried"}' }));
    for (let i = 0; i < 20; i++) await outbound.enqueue(webhook(receiver, { payload: `{"n":${i}}` }));
    await outbound.start();
    await recorder.finals(21);
    const order = receiver.received.map((r) => r.body.toString());
    const retry = order.indexOf('{"n":"retried"}', 1);
    // due 50 ms after its first attempt, while the first attempts queued behind it take 30 ms each
    assert.ok(retry > 0 && retry < 10, `retry was attempt ${retry} of ${order.length}`);
  });

  /**
   * A second instance takes a delivery to a receiver that never answers, then dies with the attempt in
   * flight: its database connection closes, and the lease it held is made to run out.
   */
  async function crashMidAttempt(receiver: Receiver, delivery: NewDelivery & { backlogLimit?: undefined }, outbound: Outbound): Promise<string> {
    const database = await testDb.reopen();
    const doomed = createOutbound({ database, logger: pino({ level: 'silent' }), guard: loopbackGuard, pollIntervalMs: 50, timeoutMs: 60_000 });
    cleanups.push(() => doomed.stop());
    const queued = await outbound.enqueue(delivery);
    await doomed.start();
    await receiver.waitFor(1);
    const inFlight = await outbound.get(queued.id);
    assert.deepEqual([inFlight?.status, inFlight?.attempts], ['pending', 1], 'counted as soon as it is under way');
    await database.close();
    await (testDb.database.db as Kysely<OutboundSchema>).updateTable('outbound_deliveries').set({ next_attempt_at: Date.now() }).where('id', '=', queued.id).execute();
    return queued.id;
  }

  it('counts an attempt cut short by a crash and retries with the attempts left', async () => {
    const { receiver, outbound, recorder } = await setup((index) => (index === 0 ? 'hang' : { status: 500 }));
    const id = await crashMidAttempt(receiver, webhook(receiver), outbound);
    await outbound.start();
    await recorder.finals(1);
    const stored = await outbound.get(id);
    assert.deepEqual([stored?.status, stored?.attempts, stored?.lastError], ['dead_letter', 3, 'HTTP 500']);
    assert.equal(receiver.received.length, 3);
  });

  it('dead-letters a delivery whose last attempt was cut short by a crash, without another request', async () => {
    const { receiver, outbound } = await setup(() => 'hang');
    const id = await crashMidAttempt(receiver, webhook(receiver, { maxAttempts: 1 }), outbound);
    await outbound.start();
    const deadline = Date.now() + 10_000;
    while ((await outbound.get(id))?.status !== 'dead_letter' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const stored = await outbound.get(id);
    assert.deepEqual([stored?.status, stored?.attempts, stored?.lastError], ['dead_letter', 1, 'Attempt interrupted']);
    assert.equal(receiver.received.length, 1);
  });

  it('delivers each delivery exactly once with two instances sharing the database', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200, delayMs: 5 }), { concurrency: 4 });
    const other = createOutbound({ database: await testDb.reopen(), logger: pino({ level: 'silent' }), guard: loopbackGuard, pollIntervalMs: 50, concurrency: 4 });
    cleanups.push(() => other.stop());
    let settled = 0;
    const allSettled = new Promise<void>((resolve) => {
      const count = () => (++settled === 30 ? resolve() : undefined);
      outbound.onResult(count);
      other.onResult(count);
    });
    for (let i = 0; i < 30; i++) await outbound.enqueue(webhook(receiver, { payload: `{"n":${i}}` }));
    await Promise.all([outbound.start(), other.start()]);
    await allSettled;
    const bodies = receiver.received.map((r) => r.body.toString('utf8'));
    assert.equal(bodies.length, 30);
    assert.equal(new Set(bodies).size, 30);
    assert.equal((await outbound.list({ status: 'delivered', limit: 100 })).total, 30);
  });

  it('rejects a maxAttempts below 1', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }));
    await assert.rejects(outbound.enqueue(webhook(receiver, { maxAttempts: 0 })), RangeError);
  });
});

describe('outbound dispatcher with an app policy (failed while retrying, then dead_letter)', () => {
  const policy = { retryingStatus: 'failed', refusedStatus: 'dead_letter', retry: 'any' } as const;
  /** resolves once `count` attempts have been recorded */
  const attempts = (recorder: ReturnType<typeof recordResults>, count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (recorder.results.length >= count ? resolve() : setTimeout(check, 10));
      check();
    });

  it('shows a waiting retry as failed with its next attempt, retries a 4xx, and dead-letters after the last attempt', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 404 }), { policy });
    await outbound.start();
    const queued = await outbound.enqueue(webhook(receiver));
    await attempts(recorder, 3);
    assert.deepEqual(
      recorder.results.map((r) => [r.delivery.status, r.delivery.attempts, r.delivery.lastError, r.delivery.nextAttemptAt === null]),
      [
        ['failed', 1, 'HTTP 404', false],
        ['failed', 2, 'HTTP 404', false],
        ['dead_letter', 3, 'HTTP 404', true],
      ],
    );
    assert.equal((await outbound.get(queued.id))?.status, 'dead_letter');
    assert.equal(receiver.received.length, 3);
  });

  it('dead-letters a blocked destination at once', async () => {
    const { receiver, outbound, recorder } = await setup(() => ({ status: 200 }), { policy, guard: createSsrfGuard() });
    await outbound.start();
    await outbound.enqueue(webhook(receiver));
    await attempts(recorder, 1);
    assert.deepEqual(recorder.results.map((r) => [r.delivery.status, r.delivery.attempts, r.delivery.lastError]), [['dead_letter', 1, 'Blocked destination address']]);
    assert.equal(receiver.received.length, 0);
  });

  it('refuses a policy whose retrying and refused statuses are the same', async () => {
    testDb = await openTestDatabase('outbound');
    cleanups.push(() => testDb.dispose());
    assert.throws(
      () => createOutbound({ database: testDb.database, logger: pino({ level: 'silent' }), guard: loopbackGuard, policy: { retryingStatus: 'failed', refusedStatus: 'failed', retry: 'any' } }),
      RangeError,
    );
  });

  it('uses the app\'s delivery id and stamps each attempt\'s unix time in the named header', async () => {
    const { receiver, outbound, recorder } = await setup((index) => ({ status: index === 0 ? 500 : 200 }), { policy, retryDelaysMs: [1100] });
    await outbound.start();
    const queued = await outbound.enqueue(webhook(receiver, { id: 'dlv_app_chosen', timestampHeader: 'X-Webhook-Timestamp', headers: { 'x-webhook-delivery': 'dlv_app_chosen' } }));
    assert.equal(queued.id, 'dlv_app_chosen');
    await attempts(recorder, 2);
    const stamps = receiver.received.map((r) => Number(r.headers['x-webhook-timestamp']));
    assert.equal(stamps.length, 2);
    assert.ok(stamps.every((stamp) => Math.abs(stamp - Date.now() / 1000) < 10), String(stamps));
    assert.ok(stamps[1]! > stamps[0]!, `each attempt stamped afresh: ${stamps}`);
    assert.equal(receiver.received[0]!.headers['x-webhook-delivery'], 'dlv_app_chosen');
    assert.deepEqual(queued.headers, { 'x-webhook-delivery': 'dlv_app_chosen' }, 'the timestamp mark is not a header');
    assert.equal((await outbound.get('dlv_app_chosen'))?.status, 'delivered');
  });

  it('skips a delivery while its target has backlogLimit waiting, counting retries as waiting', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }), { policy });
    const capped = (payload: string, target = 'stream') => outbound.enqueue({ ...webhook(receiver, { target, payload }), backlogLimit: 2 });
    assert.ok(await capped('{"n":1}'));
    assert.ok(await capped('{"n":2}'));
    assert.equal(await capped('{"n":3}'), undefined, 'third reading skipped');
    assert.ok(await capped('{"n":1}', 'other'), 'other targets are not affected');
    await outbound.start();
    const deadline = Date.now() + 10_000;
    while ((await outbound.list({ target: 'stream', status: 'delivered' })).total < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(await capped('{"n":4}'), 'accepted again once the backlog drained');
  });

  it('enqueueAll answers in order, counting the deliveries it accepts toward each target\'s backlog limit', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }), { policy });
    await outbound.enqueue({ ...webhook(receiver, { target: 'stream', payload: '{"n":0}' }), backlogLimit: 3 });
    const reading = (n: number, target = 'stream') => ({ ...webhook(receiver, { target, payload: `{"n":${n}}` }), backlogLimit: 3 });
    const answers = await outbound.enqueueAll([reading(1), reading(2), reading(1, 'other'), reading(3), webhook(receiver, { target: 'stream', payload: '{"alert":true}' })]);
    assert.deepEqual(
      answers.map((delivery) => delivery?.payload),
      ['{"n":1}', '{"n":2}', '{"n":1}', undefined, '{"alert":true}'],
      'the third reading for stream is over its limit; a delivery without a limit is always queued',
    );
    assert.equal((await outbound.list({ target: 'stream' })).total, 4);
    assert.deepEqual(await outbound.enqueueAll([]), []);
  });

  it('attempts higher priority deliveries first', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }), { policy, concurrency: 1 });
    await outbound.enqueue(webhook(receiver, { payload: '{"n":"low-1"}' }));
    await outbound.enqueue(webhook(receiver, { payload: '{"n":"low-2"}' }));
    await outbound.enqueue(webhook(receiver, { payload: '{"n":"high"}', priority: 10 }));
    await outbound.start();
    await receiver.waitFor(3);
    assert.equal(receiver.received[0]!.body.toString(), '{"n":"high"}');
  });

  it('removeTarget deletes a target\'s deliveries; purge deletes one status older than a time', async () => {
    const { receiver, outbound } = await setup(() => ({ status: 200 }), { policy });
    await outbound.enqueue(webhook(receiver, { target: 'gone' }));
    await outbound.enqueue(webhook(receiver, { target: 'gone' }));
    const kept = await outbound.enqueue(webhook(receiver, { target: 'kept' }));
    assert.equal(await outbound.removeTarget('gone'), 2);
    assert.deepEqual((await outbound.list()).items.map((d) => d.id), [kept.id]);
    assert.equal(await outbound.purge('pending', kept.createdAt), 0, 'created at the cut: kept');
    assert.equal(await outbound.purge('delivered', Date.now() + 1000), 0, 'other status: kept');
    assert.equal(await outbound.purge('pending', Date.now() + 1000, 1), 1);
    assert.equal((await outbound.list()).total, 0);
  });
});
