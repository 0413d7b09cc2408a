import type { WebSocket } from 'ws';
import type { ClientChannel } from '../../../core/realtime/index.ts';
import type { LiveCache } from '../live/cache.ts';
import type { CacheEntry } from '../live/entry.ts';
import { heartbeatMessage, PendingUpdate, updatesText, type Dialect } from './messages.ts';

export interface HubSettings {
  batchIntervalMs: number;
  heartbeatMs: number;
  maxBufferedBytes: number;
  slowConsumerTimeoutMs: number;
  instanceId: string;
}

/** One connection's state: its subscriptions, its pending (coalesced) updates and its push dialect. */
export class WsClient {
  readonly subscriptions = new Set<string>();
  pending = new Map<string, PendingUpdate>();
  /** since when the send buffer has been over the limit, or null */
  overLimitSince: number | null = null;

  constructor(
    readonly channel: ClientChannel,
    readonly socket: WebSocket,
    public dialect: Dialect,
  ) {}
}

/** A monitor heartbeat younger than this counts as alive (spec §3.7). */
const MONITOR_ALIVE_SECONDS = 5;

/**
 * WebSocket fan-out (spec §4.5): every instance consumes the cache's update stream, keeps the indexes
 * `pv → clients` and `client → pending`, drops updates nobody wants, flushes each client's pending map
 * as one message per window, and sends heartbeats. A client whose send buffer stays over the limit is
 * skipped while its pending map keeps coalescing, and closed with 1013 when that lasts too long.
 */
export class WsHub {
  readonly #clients = new Set<WsClient>();
  readonly #byPv = new Map<string, Set<WsClient>>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #stopUpdates: () => void;
  #dropped = 0;

  constructor(
    private readonly cache: LiveCache,
    private readonly settings: HubSettings,
  ) {
    this.#stopUpdates = cache.onUpdate((updates) => this.#route(updates));
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(settings.batchIntervalMs, () => this.#flushAll());
    every(settings.heartbeatMs, () => void this.#heartbeat());
  }

  add(client: WsClient): void {
    this.#clients.add(client);
    client.channel.onClose(() => this.remove(client));
  }

  remove(client: WsClient): void {
    if (!this.#clients.delete(client)) return;
    this.unsubscribe(client, [...client.subscriptions]);
  }

  subscribe(client: WsClient, names: readonly string[]): void {
    for (const name of names) {
      client.subscriptions.add(name);
      let clients = this.#byPv.get(name);
      if (!clients) this.#byPv.set(name, (clients = new Set()));
      clients.add(client);
    }
  }

  unsubscribe(client: WsClient, names: readonly string[]): void {
    for (const name of names) {
      client.subscriptions.delete(name);
      client.pending.delete(name);
      const clients = this.#byPv.get(name);
      clients?.delete(client);
      if (clients?.size === 0) this.#byPv.delete(name);
    }
  }

  /** connections accepted with a good key and still open */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** connections closed as slow consumers (1013) since start */
  get droppedCount(): number {
    return this.#dropped;
  }

  status() {
    let subscriptions = 0;
    let buffered = 0;
    for (const client of this.#clients) {
      subscriptions += client.subscriptions.size;
      buffered += client.pending.size;
    }
    return {
      instance_id: this.settings.instanceId,
      multi_instance_enabled: this.cache.backend === 'redis',
      active_connections: this.#clients.size,
      total_subscriptions: subscriptions,
      unique_pvs_subscribed: this.#byPv.size,
      buffer_size: buffered,
      batch_interval_ms: this.settings.batchIntervalMs,
    };
  }

  /** spec §4.5 shutdown: every socket is closed with 1001 */
  close(): void {
    this.#stopUpdates();
    for (const timer of this.#timers) clearInterval(timer);
    for (const client of this.#clients) client.channel.close(1001, 'server shutdown');
    this.#clients.clear();
    this.#byPv.clear();
  }

  #route(updates: ReadonlyMap<string, CacheEntry>): void {
    for (const [name, entry] of updates) {
      const clients = this.#byPv.get(name);
      if (!clients) continue;
      const update = new PendingUpdate(name, entry);
      for (const client of clients) client.pending.set(name, update);
    }
  }

  /** false while the client's send buffer is over the limit; closes it with 1013 once that has lasted too long */
  #canSend(client: WsClient, now: number): boolean {
    if (client.socket.bufferedAmount <= this.settings.maxBufferedBytes) {
      client.overLimitSince = null;
      return true;
    }
    client.overLimitSince ??= now;
    if (now - client.overLimitSince >= this.settings.slowConsumerTimeoutMs) {
      client.channel.close(1013, 'slow consumer');
      this.#drop(client);
    }
    return false;
  }

  /** A send refused on an open channel means the channel's hard buffer stop closed it with 1013. */
  #send(client: WsClient, text: string): void {
    if (!client.channel.send(text) && this.#clients.has(client)) this.#drop(client);
  }

  #drop(client: WsClient): void {
    this.#dropped += 1;
    this.remove(client);
  }

  #flushAll(): void {
    const now = Date.now();
    for (const client of this.#clients) {
      if (!client.pending.size || !this.#canSend(client, now)) continue;
      const pending = client.pending;
      client.pending = new Map();
      this.#send(client, updatesText(client.dialect, pending));
    }
  }

  async #heartbeat(): Promise<void> {
    if (!this.#clients.size) return;
    let beat: number | null = null;
    try {
      beat = (await this.cache.heartbeat())?.at ?? null;
    } catch {
      // reported as not alive
    }
    const alive = beat !== null && Date.now() / 1000 - beat < MONITOR_ALIVE_SECONDS;
    const now = Date.now();
    // one serialization per dialect, not per socket
    const texts = { A: JSON.stringify(heartbeatMessage('A', beat, alive)), T: JSON.stringify(heartbeatMessage('T', beat, alive)) };
    for (const client of this.#clients) if (this.#canSend(client, now)) this.#send(client, texts[client.dialect]);
  }
}
