import type { WebSocket } from 'ws';
import { KeyedThrottle } from '../ingestion/throttle.ts';
import { CLOSE } from './connection.ts';

/** One point as browsers receive it (spec §3.15). */
export interface StreamPoint {
  value: number;
  event_public_id: string;
  /** isoformat with `+00:00` (D33) */
  timestamp: string;
  experiment_public_id: string | null;
  public_id: string;
}

interface StreamClient {
  socket: WebSocket;
  /** event ids this client asked for; null = all */
  filter: ReadonlySet<string> | null;
  /** identifies equal filters so each distinct one is serialized once per broadcast */
  filterKey: string;
}

export interface StreamHubOptions {
  broadcastIntervalMs: number;
  maxBufferedBytes: number;
}

/**
 * Fan-out of ingested points to `/ws/datapoints/stream` sockets. Sending never awaits a socket: a
 * message is serialized once per distinct subscription filter and handed to each socket's buffer; a
 * socket whose buffer already holds more than the limit is closed instead (spec §3.15 backpressure).
 */
export class StreamHub {
  private readonly clients = new Set<StreamClient>();
  private readonly byEvent: KeyedThrottle<string>;

  constructor(private readonly options: StreamHubOptions) {
    this.byEvent = new KeyedThrottle(options.broadcastIntervalMs);
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket): StreamClient {
    const client: StreamClient = { socket, filter: null, filterKey: '*' };
    this.clients.add(client);
    socket.once('close', () => this.clients.delete(client));
    return client;
  }

  subscribe(client: StreamClient, eventPublicIds: readonly string[]): void {
    const unique = [...new Set(eventPublicIds)].sort();
    client.filter = unique.length ? new Set(unique) : null;
    client.filterKey = unique.length ? unique.join(',') : '*';
  }

  /**
   * Spec §4.1 step 5d: events whose last broadcast is at least the interval ago pass, and all their
   * points of this batch go out together; points of throttled events are not sent.
   */
  publish(points: readonly StreamPoint[], nowMs = Date.now()): void {
    if (this.clients.size === 0) return;
    const passing = new Map<string, boolean>();
    const sendable = points.filter((point) => {
      let passes = passing.get(point.event_public_id);
      if (passes === undefined) {
        passes = this.byEvent.tryPass(point.event_public_id, nowMs);
        passing.set(point.event_public_id, passes);
      }
      return passes;
    });
    if (sendable.length === 0) return;
    // Encoded once too: a string handed to ws is turned into UTF-8 bytes again for every socket.
    const messages = new Map<string, Buffer | null>();
    for (const client of this.clients) {
      let message = messages.get(client.filterKey);
      if (message === undefined) {
        const selected = client.filter ? sendable.filter((point) => client.filter!.has(point.event_public_id)) : sendable;
        message = selected.length ? Buffer.from(JSON.stringify({ type: 'datapoints_batch', datapoints: selected })) : null;
        messages.set(client.filterKey, message);
      }
      if (message !== null) this.send(client, message);
    }
  }

  /** Closes every socket (server shutdown: 1001). */
  closeAll(code: number, reason: string): void {
    for (const client of this.clients) client.socket.close(code, reason);
  }

  private send(client: StreamClient, message: Buffer): void {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.clients.delete(client);
      // the close frame queues behind the unread data; ws destroys a peer that never completes the
      // closing handshake after its close timeout (30 s)
      socket.close(CLOSE.tryAgainLater, 'Slow consumer');
      return;
    }
    socket.send(message, { binary: false });
  }
}
