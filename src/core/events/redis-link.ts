import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BusMessage } from './types.ts';

/**
 * Publishes Redis has not acknowledged yet; beyond this (a hung link) new ones are dropped rather than
 * piling up in memory. (ioredis' commandTimeout would bound them by time, but its timer outlives QUIT
 * and holds the process open at shutdown.)
 */
const maxPendingPublishes = 10_000;

export interface RedisLinkOptions {
  url: string;
  channelPrefix: string;
  instanceId: string;
  logger: Logger;
  /** how long open() waits for Redis before going on in-process only */
  readyTimeoutMs: number;
  /** receives messages published by other instances */
  onMessage(message: BusMessage): void;
}

/**
 * The Redis side of the bus: one publisher and one subscriber connection. Each topic is its own
 * channel (`<prefix>:<topic>`), so `PSUBSCRIBE <prefix>:jobs.*` in redis-cli watches a subset.
 * Messages are fire-and-forget: while Redis is away, publishes are dropped and counted, never queued,
 * and ioredis keeps reconnecting (re-subscribing on its own once the first subscription succeeded).
 */
export class RedisLink {
  dropped = 0;
  received = 0;
  readonly #options: RedisLinkOptions;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  #pending = 0;
  #droppedSinceWarning = 0;
  #closing = false;

  static async open(options: RedisLinkOptions): Promise<RedisLink> {
    const link = new RedisLink(options);
    const subscribed = link.#subscriber.psubscribe(`${options.channelPrefix}:*`).then(
      () => true,
      (error: unknown) => {
        options.logger.error({ err: error }, 'could not subscribe to the Redis event channels');
        return false;
      },
    );
    const ready = await withinTimeout(
      Promise.all([subscribed, whenReady(link.#publisher)]).then(([isSubscribed, isPublisherReady]) => isSubscribed && isPublisherReady),
      options.readyTimeoutMs,
    );
    if (!ready) {
      options.logger.warn(
        { timeoutMs: options.readyTimeoutMs },
        'Redis is not reachable yet: events stay in this process until it is',
      );
    }
    return link;
  }

  private constructor(options: RedisLinkOptions) {
    this.#options = options;
    // no offline queue: a publish during an outage fails at once instead of waiting in memory
    this.#publisher = new Redis(options.url, { enableOfflineQueue: false });
    // the subscriber keeps its PSUBSCRIBE queued however long Redis is away
    this.#subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
    this.#watch(this.#publisher, 'publisher');
    this.#watch(this.#subscriber, 'subscriber');
    this.#subscriber.on('pmessage', (_pattern: string, _channel: string, frame: string) => this.#receive(frame));
  }

  get ready(): boolean {
    return this.#publisher.status === 'ready' && this.#subscriber.status === 'ready';
  }

  /** Hands the message to Redis without waiting; returns false when it was dropped. */
  publish(message: BusMessage): boolean {
    if (this.#publisher.status !== 'ready') return this.#drop('Redis is unavailable');
    if (this.#pending >= maxPendingPublishes) return this.#drop('too many publishes waiting for Redis');
    let frame: string;
    try {
      frame = JSON.stringify(message);
    } catch (error) {
      this.dropped += 1;
      this.#options.logger.error({ err: error, topic: message.topic }, 'event payload cannot be serialised to JSON');
      return false;
    }
    this.#pending += 1;
    this.#publisher
      .publish(`${this.#options.channelPrefix}:${message.topic}`, frame)
      .then(
        () => this.#delivered(),
        (error: unknown) => this.#drop(error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        this.#pending -= 1;
      });
    return true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([quit(this.#publisher), quit(this.#subscriber)]);
  }

  #drop(reason: string): false {
    this.dropped += 1;
    this.#droppedSinceWarning += 1;
    // one warning per outage; the count follows when Redis takes publishes again
    if (this.#droppedSinceWarning === 1) this.#options.logger.warn({ reason }, 'dropping events meant for other instances');
    return false;
  }

  #delivered(): void {
    if (this.#droppedSinceWarning === 0) return;
    this.#options.logger.info({ dropped: this.#droppedSinceWarning }, 'events reach Redis again');
    this.#droppedSinceWarning = 0;
  }

  #receive(frame: string): void {
    const message = parseFrame(frame);
    if (!message) {
      this.#options.logger.warn({ frame: frame.slice(0, 200) }, 'ignoring a malformed event frame from Redis');
      return;
    }
    // our own publishes come back through the subscription; they were already delivered locally
    if (message.origin === this.#options.instanceId) return;
    this.received += 1;
    this.#options.onMessage(message);
  }

  #watch(connection: Redis, role: 'publisher' | 'subscriber'): void {
    const logger = this.#options.logger;
    let lost = false;
    connection.on('ready', () => {
      if (!lost) return;
      lost = false;
      logger.info({ role }, 'Redis connection for events restored');
    });
    const markLost = (error?: unknown) => {
      if (lost || this.#closing) return;
      lost = true;
      logger.warn({ role, err: error }, 'Redis connection for events lost; reconnecting');
    };
    // ioredis reports every failed reconnect attempt as an error: log the outage once
    connection.on('error', markLost);
    connection.on('close', () => markLost());
  }
}

function parseFrame(frame: string): BusMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { topic, origin, at } = value as Partial<BusMessage>;
  if (typeof topic !== 'string' || typeof origin !== 'string' || typeof at !== 'number' || !('payload' in value)) {
    return undefined;
  }
  return value as BusMessage;
}

function whenReady(connection: Redis): Promise<true> {
  if (connection.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => connection.once('ready', () => resolve(true)));
}

async function withinTimeout(operation: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  await connection.quit().catch(() => connection.disconnect());
}
