import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitResult, RateLimitStore } from './types.ts';

export type { RateLimitResult, RateLimitStore } from './types.ts';
export { createMemoryRateLimitStore, type MemoryRateLimitOptions } from './memory.ts';
export { createRedisRateLimitStore } from './redis.ts';

/**
 * What the hook throws when the app's onLimited neither throws nor replies. `statusCode` 429 is how
 * the http core recognises a rate-limit problem; the Retry-After header is already on the reply.
 */
export class RateLimitExceededError extends Error {
  readonly statusCode = 429;
  readonly code = 'BURROW_RATE_LIMITED';
  readonly retryAfterSeconds: number;
  constructor(readonly result: RateLimitResult) {
    const seconds = retryAfterSeconds(result);
    super(`Rate limit exceeded. Try again in ${seconds} seconds.`);
    this.name = 'RateLimitExceededError';
    this.retryAfterSeconds = seconds;
  }
}

/** Whole seconds, never 0: a client told to retry after 0 s would retry at once and be refused again. */
export function retryAfterSeconds(result: RateLimitResult): number {
  return Math.max(1, Math.ceil(result.retryAfterMs / 1000));
}

export interface RateLimitHookOptions {
  store: RateLimitStore;
  limit: number;
  windowMs: number;
  /** the bucket a request counts against; undefined exempts the request (no count, no headers) */
  key: (request: FastifyRequest) => string | undefined;
  /**
   * Called over the limit, after the headers are set. Throw the app's own error here so its error
   * handler renders it in the app's envelope; or reply directly. Returning without doing either
   * throws RateLimitExceededError.
   */
  onLimited?: (request: FastifyRequest, reply: FastifyReply, result: RateLimitResult) => void;
}

/**
 * A hook for onRequest (or preHandler, to count only authenticated requests) that sets
 * RateLimit-Limit / -Remaining / -Reset on every counted response and Retry-After on refusals.
 * If the store fails (Redis down) the request is let through: losing the limiter must not take the API down.
 */
export function rateLimitHook(options: RateLimitHookOptions) {
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const key = options.key(request);
    if (key === undefined) return undefined;
    let result: RateLimitResult;
    try {
      result = await options.store.hit(key, options.windowMs, options.limit);
    } catch (err) {
      request.log.warn({ err }, 'rate limiter unavailable; request not counted');
      return undefined;
    }
    reply.header('RateLimit-Limit', String(result.limit));
    reply.header('RateLimit-Remaining', String(result.remaining));
    reply.header('RateLimit-Reset', String(Math.ceil(result.resetMs / 1000)));
    if (result.allowed) return undefined;
    reply.header('Retry-After', String(retryAfterSeconds(result)));
    options.onLimited?.(request, reply, result);
    if (reply.sent) return reply;
    throw new RateLimitExceededError(result);
  };
}
