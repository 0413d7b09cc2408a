export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** hits still allowed in the window after this one */
  remaining: number;
  /** until the oldest counted hit leaves the window, i.e. until `remaining` next grows */
  resetMs: number;
  /** 0 when allowed; otherwise how long until a retry can succeed (equals resetMs) */
  retryAfterMs: number;
}

/**
 * A sliding-window log: at most `limit` hits in any `windowMs`. A refused hit is not recorded, so a
 * client hammering through its 429s still gets in as soon as its oldest hit expires.
 */
export interface RateLimitStore {
  hit(key: string, windowMs: number, limit: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}

export function resultFor(limit: number, counted: number, allowed: boolean, resetMs: number): RateLimitResult {
  return {
    allowed,
    limit,
    remaining: Math.max(0, limit - counted),
    resetMs,
    retryAfterMs: allowed ? 0 : resetMs,
  };
}
