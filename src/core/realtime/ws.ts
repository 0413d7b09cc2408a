import type { WebSocket } from 'ws';

/*
 * Helpers for @fastify/websocket routes (`{ websocket: true }`, handler `(socket, request)`).
 * Authenticate in an onRequest/preValidation hook of the route: a hook that replies (401, 403…) sends
 * a plain HTTP response and the upgrade never happens, so no WebSocket-specific rejection is needed.
 */

export interface ClientChannelOptions {
  /** bytes the client may fall behind before it is dropped as a slow consumer (default 1 MiB) */
  maxBufferedBytes?: number;
  /** close code for a slow consumer (default 1013, "try again later") */
  slowConsumerCode?: number;
  slowConsumerReason?: string;
  /** ping interval; a peer that has not answered the previous ping by the next one is terminated (default 30 s) */
  heartbeatMs?: number;
}

export interface ClientChannel {
  /** a string is sent as is, anything else as JSON; false when closed or just dropped as too slow */
  send(data: string | object): boolean;
  close(code?: number, reason?: string): void;
  /** true from the moment close is decided, before the closing handshake ends */
  readonly closed: boolean;
  /** called once when the socket has closed, with the close code and reason */
  onClose(listener: (code: number, reason: string) => void): () => void;
}

/** A peer that has read nothing since the slow-consumer close gets this long to take the close frame. */
const closeGraceMs = 5_000;

export function wrapSocket(socket: WebSocket, options: ClientChannelOptions = {}): ClientChannel {
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const slowConsumerCode = options.slowConsumerCode ?? 1013;
  const slowConsumerReason = options.slowConsumerReason ?? 'slow consumer';
  const listeners = new Set<(code: number, reason: string) => void>();
  let closing = false;
  let closedWith: { code: number; reason: string } | undefined;

  let answeredPing = true;
  socket.on('pong', () => {
    answeredPing = true;
  });
  const heartbeat = setInterval(() => {
    if (!answeredPing) {
      socket.terminate();
      return;
    }
    answeredPing = false;
    socket.ping();
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();
  let terminateTimer: NodeJS.Timeout | undefined;

  socket.on('close', (code: number, reason: Buffer) => {
    closing = true;
    clearInterval(heartbeat);
    clearTimeout(terminateTimer);
    closedWith = { code, reason: reason.toString() };
    for (const listener of [...listeners]) listener(closedWith.code, closedWith.reason);
    listeners.clear();
  });

  const close = (code?: number, reason?: string) => {
    if (closing) return;
    closing = true;
    socket.close(code, reason);
  };

  return {
    send(data) {
      if (closing || socket.readyState !== socket.OPEN) return false;
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      // bufferedAmount: what ws and the socket still hold for this peer
      if (socket.bufferedAmount + Buffer.byteLength(text) > maxBufferedBytes) {
        close(slowConsumerCode, slowConsumerReason);
        // the close frame queues behind the unread backlog; do not wait on ws's 30 s close timeout
        terminateTimer = setTimeout(() => socket.terminate(), closeGraceMs);
        terminateTimer.unref();
        return false;
      }
      socket.send(text);
      return true;
    },
    close,
    get closed() {
      return closing || socket.readyState !== socket.OPEN;
    },
    onClose(listener) {
      if (closedWith) {
        listener(closedWith.code, closedWith.reason);
        return () => {};
      }
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/**
 * A set of channels that receive the same messages. Each message is serialised once for all of them;
 * a slow or closed channel is removed without holding up the others.
 */
export class Broadcaster {
  readonly #channels = new Map<ClientChannel, () => void>();

  get size(): number {
    return this.#channels.size;
  }

  add(channel: ClientChannel): void {
    if (channel.closed || this.#channels.has(channel)) return;
    this.#channels.set(
      channel,
      channel.onClose(() => this.#channels.delete(channel)),
    );
  }

  delete(channel: ClientChannel): void {
    this.#channels.get(channel)?.();
    this.#channels.delete(channel);
  }

  /** Returns how many channels took the message. */
  broadcast(data: string | object): number {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    let sent = 0;
    for (const channel of this.#channels.keys()) {
      if (channel.send(text)) sent += 1;
      else if (channel.closed) this.delete(channel);
    }
    return sent;
  }
}
