import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { RedisLink } from './redis-link.ts';
import { SubscriptionRegistry } from './subscriptions.ts';
import type { BusHandler, BusMessage, MeteredEventBus } from './types.ts';

export type { BusHandler, BusMessage, EventBus, EventBusStats, MeteredEventBus } from './types.ts';

export interface EventBusOptions {
  /** with it, every instance sharing this Redis sees every publish */
  redisUrl?: string;
  /** Redis channels are `<channelPrefix>:<topic>`; instances share events only under the same prefix */
  channelPrefix?: string;
  logger: Logger;
  /** must differ between instances sharing a Redis; defaults to host, pid and a random suffix */
  instanceId?: string;
  /** how long creation waits for Redis before starting in-process only (it joins when Redis is back) */
  redisReadyTimeoutMs?: number;
}

export async function createEventBus(options: EventBusOptions): Promise<MeteredEventBus> {
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const { logger } = options;
  const subscriptions = new SubscriptionRegistry();
  const counters = { published: 0, delivered: 0, handlerErrors: 0 };
  let closed = false;

  const reportHandlerError = (error: unknown, message: BusMessage) => {
    counters.handlerErrors += 1;
    logger.error({ err: error, topic: message.topic, origin: message.origin }, 'event handler failed');
  };
  const deliver = (message: BusMessage) => {
    counters.delivered += subscriptions.dispatch(message, reportHandlerError);
  };

  const link = options.redisUrl
    ? await RedisLink.open({
        url: options.redisUrl,
        channelPrefix: options.channelPrefix ?? 'burrow',
        instanceId,
        logger,
        readyTimeoutMs: options.redisReadyTimeoutMs ?? 5_000,
        onMessage: (message) => {
          if (!closed) deliver(message);
        },
      })
    : undefined;

  return {
    instanceId,
    publish<T>(topic: string, payload: T): void {
      if (topic === '' || topic.includes('*')) {
        throw new TypeError(`invalid topic ${JSON.stringify(topic)}: topics are non-empty and have no '*'`);
      }
      if (closed) return;
      const message: BusMessage<T> = { topic, payload, origin: instanceId, at: Date.now() };
      counters.published += 1;
      deliver(message);
      link?.publish(message);
    },
    subscribe<T>(pattern: string, handler: BusHandler<T>): () => void {
      return subscriptions.add(pattern, handler as BusHandler);
    },
    stats() {
      return {
        ...counters,
        received: link?.received ?? 0,
        dropped: link?.dropped ?? 0,
        redis: link ? (link.ready ? 'ready' : 'unavailable') : 'disabled',
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      subscriptions.clear();
      await link?.close();
    },
  };
}
