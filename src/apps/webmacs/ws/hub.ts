import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { KeyedThrottle } from '../ingestion/throttle.ts';
import { CLOSE } from './connection.ts';
import { textFrame } from './frame.ts';

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
  /** the connection under `socket`, which broadcast frames are written to directly */
  connection: Duplex;
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
 * message is serialized and framed once per distinct subscription filter and the same bytes are
 * written to each socket's connection; a socket whose buffer already holds more than the limit is
 * closed instead (spec §3.15 backpressure).
 *
 * Writing the frame to the connection rather than through `socket.send` saves ws's per-socket
 * framing, header allocation and corked two-part write (P6 broadcast CPU). It is safe because
 * perMessageDeflate is off (spec §3.15): ws then writes each of its own frames (pongs, close)
 * straight through as well, so whole frames from both interleave in order.
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

  /** `connection`: the upgraded request's socket, the one ws itself writes to */
  add(socket: WebSocket, connection: Duplex): StreamClient {
    const client: StreamClient = { socket, connection, filter: null, filterKey: '*' };
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
    const frames = new Map<string, Buffer | null>();
    for (const client of this.clients) {
      let frame = frames.get(client.filterKey);
      if (frame === undefined) {
        const selected = client.filter ? sendable.filter((point) => client.filter!.has(point.event_public_id)) : sendable;
        frame = selected.length ? textFrame(JSON.stringify({ type: 'datapoints_batch', datapoints: selected })) : null;
        frames.set(client.filterKey, frame);
      }
      if (frame !== null) this.send(client, frame);
    }
  }

  /** Closes every socket (server shutdown: 1001). */
  closeAll(code: number, reason: string): void {
    for (const client of this.clients) client.socket.close(code, reason);
  }

  private send(client: StreamClient, frame: Buffer): void {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.clients.delete(client);
      // the close frame queues behind the unread data; ws destroys a peer that never completes the
      // closing handshake after its close timeout (30 s)
      socket.close(CLOSE.tryAgainLater, 'Slow consumer');
      return;
    }
    client.connection.write(frame);
  }
}
