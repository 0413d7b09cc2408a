import type { EventBus } from '../events/index.ts';
import { hashToken } from './tokens.ts';

export interface CredentialCacheOptions<T> {
  /** finds the principal stored under a token's SHA-256 hash; undefined when there is none */
  lookup(tokenHash: string): Promise<T | undefined>;
  /**
   * How long a verified token is trusted without asking the database again. It bounds how long a change
   * made behind the cache's back (another process editing the database directly) can go unseen.
   */
  ttlMs: number;
  maxEntries?: number;
  /** With a bus, `invalidate` reaches the caches of every instance sharing it (Redis), not just this one. */
  bus?: EventBus;
  /** bus topic for invalidations; must be unique per cache */
  topic?: string;
  now?: () => number;
}

export interface CredentialCache<T> {
  /** The principal for a presented token, from memory while fresh, else from `lookup`. */
  verify(token: string): Promise<T | undefined>;
  /** Forgets one token (by hash) or every token, here and, with a bus, on every instance. */
  invalidate(tokenHash?: string): void;
  readonly size: number;
}

interface Entry<T> {
  principal: T;
  tokenHash: string;
  expiresAt: number;
}

/**
 * Remembers verified API tokens so the hot path of an authenticated request costs a map lookup instead
 * of a database round trip. Only successful lookups are kept: an unknown token always reaches the
 * database, so creating a key takes effect at once, and a flood of bad tokens cannot evict good ones.
 * Revocation must call `invalidate` (the TTL is the backstop for writers that do not).
 * Entries are keyed by the presented token itself, so a hit skips the SHA-256 (a third of the cache's
 * cost per request); the token lives only in this process's memory, like the request that carried it,
 * and only the hash is ever stored or sent anywhere.
 */
export function createCredentialCache<T>(options: CredentialCacheOptions<T>): CredentialCache<T> {
  const { lookup, ttlMs, bus, topic } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();
  // token hash -> the token its entry is kept under, for invalidations (which only know hashes)
  const tokensByHash = new Map<string, string>();
  // Concurrent requests with the same uncached token share one lookup.
  const pending = new Map<string, Promise<T | undefined>>();
  // A lookup that started before an invalidation must not store what it read.
  let generation = 0;

  const forget = (tokenHash?: string) => {
    generation += 1;
    if (tokenHash === undefined) {
      entries.clear();
      tokensByHash.clear();
      return;
    }
    const token = tokensByHash.get(tokenHash);
    if (token !== undefined) {
      entries.delete(token);
      tokensByHash.delete(tokenHash);
    }
  };
  if (bus && !topic) throw new Error('a credential cache on a bus needs a topic');
  if (bus && topic) {
    bus.subscribe<{ tokenHash?: string }>(topic, ({ payload, origin }) => {
      if (origin !== bus.instanceId) forget(payload.tokenHash);
    });
  }

  const remember = (token: string, tokenHash: string, principal: T) => {
    if (!entries.has(token) && entries.size >= maxEntries) {
      const [oldestToken, oldest] = entries.entries().next().value!;
      entries.delete(oldestToken);
      tokensByHash.delete(oldest.tokenHash);
    }
    entries.set(token, { principal, tokenHash, expiresAt: now() + ttlMs });
    tokensByHash.set(tokenHash, token);
  };

  const load = async (token: string, tokenHash: string): Promise<T | undefined> => {
    const startedIn = generation;
    try {
      const principal = await lookup(tokenHash);
      if (principal !== undefined && startedIn === generation) remember(token, tokenHash, principal);
      return principal;
    } finally {
      pending.delete(tokenHash);
    }
  };

  return {
    async verify(token) {
      const entry = entries.get(token);
      if (entry && entry.expiresAt > now()) return entry.principal;
      const tokenHash = hashToken(token);
      let inFlight = pending.get(tokenHash);
      if (!inFlight) {
        inFlight = load(token, tokenHash);
        pending.set(tokenHash, inFlight);
      }
      return inFlight;
    },
    invalidate(tokenHash) {
      forget(tokenHash);
      if (bus && topic) bus.publish(topic, tokenHash === undefined ? {} : { tokenHash });
    },
    get size() {
      return entries.size;
    },
  };
}
