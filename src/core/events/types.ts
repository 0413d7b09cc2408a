/** A message on the bus as subscribers receive it. */
export interface BusMessage<T = unknown> {
  topic: string;
  payload: T;
  /** id of the server instance that published it */
  origin: string;
  /** epoch milliseconds at publish */
  at: number;
}

export type BusHandler<T = unknown> = (message: BusMessage<T>) => void;

/**
 * The in-process event bus; with Redis, every instance sharing that Redis sees every publish.
 * Topics are dot-separated (`jobs.updated`, `squirrel.pv.value`); a subscription pattern may end in
 * `*` to match a prefix (`jobs.*`). Publishing never blocks and never throws on a subscriber's error.
 */
export interface EventBus {
  readonly instanceId: string;
  publish<T>(topic: string, payload: T): void;
  subscribe<T = unknown>(pattern: string, handler: BusHandler<T>): () => void;
  close(): Promise<void>;
}

/** What the bus has done since it was created, for /metrics and health. */
export interface EventBusStats {
  /** publish() calls */
  published: number;
  /** handler invocations, for local and remote messages alike */
  delivered: number;
  /** handlers that threw or whose promise rejected */
  handlerErrors: number;
  /** messages from other instances received over Redis */
  received: number;
  /** publishes that could not be handed to Redis (outage, backlog full, unserialisable payload) */
  dropped: number;
  /** `disabled` without REDIS_URL; `unavailable` while either Redis connection is down */
  redis: 'disabled' | 'ready' | 'unavailable';
}

/** The bus as the server owns it: the app-facing EventBus plus its counters. */
export interface MeteredEventBus extends EventBus {
  stats(): EventBusStats;
}
