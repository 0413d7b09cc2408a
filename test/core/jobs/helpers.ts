import { pino } from 'pino';
import type { BusHandler, BusMessage, EventBus } from '../../../src/core/events/types.ts';
import { migrateToLatest, type AppDatabase } from '../../../src/core/db/index.ts';
import {
  createJobEngine,
  jobsMigrations,
  type JobEngine,
  type JobEngineOptions,
  type JobRecord,
  type JobUpdatedEvent,
} from '../../../src/core/jobs/index.ts';
import { openTestDatabase, uniqueName, type TestDatabase } from '../../helpers/db.ts';

export const silentLogger = pino({ level: 'silent' });

/**
 * Buses that share subscribers but each have their own instance id, as server processes sharing one
 * Redis do: every bus sees every publish, and `origin` tells who published.
 */
export function busHub(): { bus(): EventBus } {
  const subscribers = new Set<{ pattern: string; handler: BusHandler }>();
  const matches = (pattern: string, topic: string) =>
    pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic;
  return {
    bus() {
      const instanceId = uniqueName('bus');
      return {
        instanceId,
        publish<T>(topic: string, payload: T) {
          const message: BusMessage = { topic, payload, origin: instanceId, at: Date.now() };
          for (const s of [...subscribers]) if (matches(s.pattern, topic)) s.handler(message);
        },
        subscribe<T>(pattern: string, handler: BusHandler<T>) {
          const entry = { pattern, handler: handler as BusHandler };
          subscribers.add(entry);
          return () => void subscribers.delete(entry);
        },
        async close() {},
      };
    },
  };
}

export interface JobsFixture {
  test: TestDatabase;
  database: AppDatabase;
  hub: ReturnType<typeof busHub>;
  /** every jobs.updated event seen, in order */
  events: JobRecord[];
  /** an engine on its own connection and bus, as another server process would have */
  engine(options?: Partial<JobEngineOptions>): Promise<JobEngine>;
  /** resolves with the first job update (past or future) that satisfies the predicate */
  update(predicate: (job: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  finished(id: string, timeoutMs?: number): Promise<JobRecord>;
  dispose(): Promise<void>;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

export async function jobsFixture(): Promise<JobsFixture> {
  const test = await openTestDatabase('jobs');
  await migrateToLatest(test.database, jobsMigrations);
  const hub = busHub();
  const events: JobRecord[] = [];
  const waiters = new Set<{ predicate: (job: JobRecord) => boolean; resolve: (job: JobRecord) => void }>();
  hub.bus().subscribe<JobUpdatedEvent>('jobs.updated', ({ payload }) => {
    events.push(payload.job);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(payload.job)) {
        waiters.delete(waiter);
        waiter.resolve(payload.job);
      }
    }
  });
  const engines: JobEngine[] = [];
  let first = true;
  const update = (predicate: (job: JobRecord) => boolean, timeoutMs = 10_000) => {
    const seen = events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<JobRecord>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching job update within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        predicate,
        resolve: (job: JobRecord) => {
          clearTimeout(timer);
          resolve(job);
        },
      };
      waiters.add(waiter);
    });
  };
  return {
    test,
    database: test.database,
    hub,
    events,
    async engine(options = {}) {
      const database = first ? test.database : await test.reopen();
      first = false;
      const engine = createJobEngine({
        database,
        bus: hub.bus(),
        logger: silentLogger,
        appId: 'jobs',
        pollIntervalMs: 50,
        ...options,
      });
      engines.push(engine);
      return engine;
    },
    update,
    finished: (id, timeoutMs) => update((job) => job.id === id && FINISHED.has(job.status), timeoutMs),
    async dispose() {
      await Promise.all(engines.map((e) => e.stop({ timeoutMs: 1_000 })));
      await test.dispose();
    },
  };
}

/** A promise with its resolver, for handlers that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
