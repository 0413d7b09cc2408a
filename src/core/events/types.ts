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
