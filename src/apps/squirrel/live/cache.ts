import type { CacheEntry } from './entry.ts';

/** The monitor's liveness mark: when it last beat (unix seconds) and which instance leads. */
export interface MonitorHeartbeat {
  at: number;
  leader: string | null;
}

/**
 * The live value cache (spec §4.1): in-process by default, Redis when configured. Writers are the
 * monitor and watchdog on the leader; every instance reads. Read failures surface as errors, which
 * callers map to their endpoint's code.
 */
export interface LiveCache {
  readonly backend: 'memory' | 'redis';
  get(names: readonly string[]): Promise<Map<string, CacheEntry>>;
  getAll(): Promise<Map<string, CacheEntry>>;
  count(): Promise<number>;
  /** writes entries and keeps the disconnected set in step, then publishes them as updates */
  write(entries: ReadonlyMap<string, CacheEntry>): Promise<void>;
  remove(names: readonly string[]): Promise<void>;
  disconnected(): Promise<string[]>;
  writeHeartbeat(beat: MonitorHeartbeat): Promise<void>;
  heartbeat(): Promise<MonitorHeartbeat | null>;
  /** 'connected' when the backend answers */
  ping(): Promise<void>;
  /** every write, from this or (with Redis) any instance */
  onUpdate(listener: (updates: ReadonlyMap<string, CacheEntry>) => void): () => void;
  close(): Promise<void>;
}

export function createMemoryCache(): LiveCache {
  const values = new Map<string, CacheEntry>();
  const disconnected = new Set<string>();
  const listeners = new Set<(updates: ReadonlyMap<string, CacheEntry>) => void>();
  let heartbeat: MonitorHeartbeat | null = null;
  return {
    backend: 'memory',
    async get(names) {
      const found = new Map<string, CacheEntry>();
      for (const name of names) {
        const entry = values.get(name);
        if (entry) found.set(name, entry);
      }
      return found;
    },
    async getAll() {
      return new Map(values);
    },
    async count() {
      return values.size;
    },
    async write(entries) {
      for (const [name, entry] of entries) {
        values.set(name, entry);
        if (entry.connected) disconnected.delete(name);
        else disconnected.add(name);
      }
      for (const listener of listeners) listener(entries);
    },
    async remove(names) {
      for (const name of names) {
        values.delete(name);
        disconnected.delete(name);
      }
    },
    async disconnected() {
      return [...disconnected].sort();
    },
    async writeHeartbeat(beat) {
      heartbeat = beat;
    },
    async heartbeat() {
      return heartbeat;
    },
    async ping() {},
    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
