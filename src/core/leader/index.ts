import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LeaderElection } from './types.ts';

export type { LeaderElection } from './types.ts';

export interface LeaderElectionOptions {
  /** the Redis key of the lease; one per singleton (`argus:ups-poller`) */
  key: string;
  /** without it, this process is alone and leads from start() to stop() */
  redis?: Redis;
  /** stored as the lease's value: must differ between instances */
  instanceId: string;
  /** lease lifetime: how long a crashed leader blocks the others (default 10 s) */
  ttlMs?: number;
  /**
   * how often the leader renews, and followers try to acquire (default ttl / 3). At most ttl / 2: a
   * renewal that hangs is abandoned after this long, so a cut-off leader steps down before its lease
   * can pass to another instance.
   */
  renewEveryMs?: number;
  logger: Logger;
}

// Takes a free lease, or re-adopts one this instance still holds (a restart under the same id, or a
// renewal that timed out on our side but reached Redis).
const acquireScript = `
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const renewScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const releaseScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

export function createLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const ttlMs = options.ttlMs ?? 10_000;
  const renewEveryMs = options.renewEveryMs ?? Math.floor(ttlMs / 3);
  if (!(renewEveryMs > 0) || renewEveryMs * 2 > ttlMs) {
    throw new RangeError(`leader election ${options.key}: need 0 < renewEveryMs (${renewEveryMs}) <= ttlMs / 2 (${ttlMs})`);
  }
  const logger = options.logger.child({ leaderKey: options.key, instanceId: options.instanceId });
  const leadership = new Leadership(options.key, logger);
  if (!options.redis) return leadership.asElection(() => leadership.set(true), () => leadership.set(false));
  const lease = new RedisLease(options.redis, options.key, options.instanceId, ttlMs, renewEveryMs, leadership, logger);
  return leadership.asElection(() => lease.start(), () => lease.stop());
}

/** The current state and who wants to hear about its changes. */
class Leadership {
  leader = false;
  readonly #listeners = new Set<(leader: boolean) => void>();

  constructor(
    readonly key: string,
    private readonly logger: Logger,
  ) {}

  set(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.logger.info(leader ? 'became the leader' : 'is no longer the leader');
    for (const listener of [...this.#listeners]) {
      try {
        listener(leader);
      } catch (error) {
        this.logger.error({ err: error }, 'leadership listener failed');
      }
    }
  }

  asElection(start: () => Promise<void> | void, stop: () => Promise<void> | void): LeaderElection {
    return {
      key: this.key,
      isLeader: () => this.leader,
      onChange: (listener) => {
        this.#listeners.add(listener);
        return () => void this.#listeners.delete(listener);
      },
      start: async () => start(),
      stop: async () => stop(),
    };
  }
}

/** A Redis lease renewed while held and retried while not; every Redis call is bounded in time. */
class RedisLease {
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #cycle: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly instanceId: string,
    private readonly ttlMs: number,
    private readonly renewEveryMs: number,
    private readonly leadership: Leadership,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#runCycle();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#cycle;
    this.leadership.set(false);
    // also when not leading: an acquisition that timed out on our side may still have reached Redis
    try {
      await this.#call(releaseScript, this.renewEveryMs);
    } catch (error) {
      this.logger.warn({ err: error, ttlMs: this.ttlMs }, 'could not release the lease; it expires on its own');
    }
  }

  #runCycle(): Promise<void> {
    this.#cycle = (this.leadership.leader ? this.#renew() : this.#acquire()).finally(() => {
      if (!this.#running) return;
      this.#timer = setTimeout(() => void this.#runCycle(), this.renewEveryMs);
      this.#timer.unref();
    });
    return this.#cycle;
  }

  async #acquire(): Promise<void> {
    try {
      // a slow acquisition is harmless (a late success is re-adopted next time), so it may take a whole ttl
      if ((await this.#call(acquireScript, this.ttlMs)) === 1 && this.#running) this.leadership.set(true);
    } catch (error) {
      this.logger.debug({ err: error }, 'could not reach Redis to acquire the lease');
    }
  }

  async #renew(): Promise<void> {
    try {
      if ((await this.#call(renewScript, this.renewEveryMs)) === 1) return;
      this.logger.warn('the lease expired or was taken by another instance');
    } catch (error) {
      // the lease may still be ours in Redis, but we can no longer prove it before it runs out
      this.logger.warn({ err: error }, 'could not renew the lease');
    }
    this.leadership.set(false);
  }

  /** Bounded in time: a renewal must fail before a hung link lets the lease run out under us. */
  async #call(script: string, timeoutMs: number): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.redis.eval(script, 1, this.key, this.instanceId, this.ttlMs), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
