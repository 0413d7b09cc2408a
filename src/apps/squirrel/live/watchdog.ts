import type { Logger } from 'pino';
import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { LiveCache } from './cache.ts';
import type { CircuitRegistry } from './circuitBreaker.ts';
import { disconnectedEntry } from './entry.ts';
import { cacheEntryFromReading } from './values.ts';

export interface WatchdogSettings {
  enabled: boolean;
  intervalMs: number;
  firstCheckAfterMs: number;
  staleSeconds: number;
  readTimeoutMs: number;
}

export interface WatchdogStats {
  enabled: boolean;
  running: boolean;
  last_check: string | null;
  check_count: number;
  disconnected_count: number;
  stale_count: number;
  reconnect_attempts: number;
  successful_reconnects: number;
  failed_reconnects: number;
  last_errors: { address: string; error: string; at: string }[];
}

/** Reads in flight at once (spec §4.3). */
const CONCURRENCY = 500;
const MAX_ERRORS = 10;

async function eachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The watchdog (spec §4.3), run on the leader beside the monitor: it re-reads disconnected addresses
 * (a success re-opens the monitor's subscription) and connected ones gone quiet (a failure marks them
 * disconnected), every read through the IOC's circuit breaker.
 */
export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #check: Promise<WatchdogStats> | undefined;
  #lastCheck: number | null = null;
  #counts = { check_count: 0, disconnected_count: 0, stale_count: 0, reconnect_attempts: 0, successful_reconnects: 0, failed_reconnects: 0 };
  #errors: WatchdogStats['last_errors'] = [];

  constructor(
    private readonly deps: {
      cache: LiveCache;
      epics: EpicsClient;
      circuits: CircuitRegistry;
      reopen: (address: string) => void;
      settings: WatchdogSettings;
      logger: Logger;
    },
  ) {}

  get running(): boolean {
    return this.#running;
  }

  get lastCheck(): number | null {
    return this.#lastCheck;
  }

  start(): void {
    if (this.#running || !this.deps.settings.enabled) return;
    this.#running = true;
    this.#schedule(this.deps.settings.firstCheckAfterMs);
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  stats(): WatchdogStats {
    return {
      enabled: this.deps.settings.enabled,
      running: this.#running,
      last_check: this.#lastCheck === null ? null : new Date(this.#lastCheck).toISOString(),
      ...this.#counts,
      last_errors: [...this.#errors],
    };
  }

  /** runs a check now; a check already running is joined rather than doubled */
  check(): Promise<WatchdogStats> {
    this.#check ??= this.#run().finally(() => (this.#check = undefined));
    return this.#check;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.check()
        .catch((err: Error) => this.deps.logger.error({ err }, 'watchdog check failed'))
        .finally(() => {
          if (this.#running) this.#schedule(this.deps.settings.intervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  #recordError(address: string, error: string): void {
    this.#errors.unshift({ address, error, at: new Date().toISOString() });
    this.#errors.length = Math.min(this.#errors.length, MAX_ERRORS);
  }

  async #read(address: string) {
    const timeoutMs = this.deps.settings.readTimeoutMs;
    return this.deps.circuits.call(address, () => this.deps.epics.getOne(address, { connectTimeoutMs: timeoutMs, timeoutMs, control: true }));
  }

  async #run(): Promise<WatchdogStats> {
    const { cache } = this.deps;
    const disconnected = await cache.disconnected();
    const cutoff = Date.now() / 1000 - this.deps.settings.staleSeconds;
    const stale = [...(await cache.getAll())].filter(([, entry]) => entry.connected && entry.updated_at < cutoff).map(([address]) => address);
    this.#counts.disconnected_count = disconnected.length;
    this.#counts.stale_count = stale.length;

    await eachBounded(disconnected, CONCURRENCY, async (address) => {
      this.#counts.reconnect_attempts += 1;
      try {
        const reading = await this.#read(address);
        await cache.write(new Map([[address, cacheEntryFromReading(reading)]]));
        this.deps.reopen(address);
        this.#counts.successful_reconnects += 1;
      } catch (err) {
        this.#counts.failed_reconnects += 1;
        this.#recordError(address, (err as Error).message);
      }
    });
    await eachBounded(stale, CONCURRENCY, async (address) => {
      try {
        await cache.write(new Map([[address, cacheEntryFromReading(await this.#read(address))]]));
      } catch (err) {
        const error = (err as Error).message;
        this.#recordError(address, error);
        await cache.write(new Map([[address, disconnectedEntry(error)]]));
      }
    });
    this.#counts.check_count += 1;
    this.#lastCheck = Date.now();
    return this.stats();
  }
}
