import type { BackoffOptions } from './types.ts';

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1_000, maxMs: 60_000, factor: 2 };

/** Up to this fraction is taken off each delay, so jobs that failed together do not retry together. */
const JITTER = 0.2;

/** How long to wait before the attempt after `failedAttempt` (1-based): exponential, capped, jittered down. */
export function retryDelayMs(failedAttempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const factor = backoff.factor ?? DEFAULT_BACKOFF.factor;
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * factor ** Math.max(0, failedAttempt - 1));
  return Math.round(exponential * (1 - JITTER * random()));
}
