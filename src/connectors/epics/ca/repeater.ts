/**
 * The CA repeater (epics-base repeater.cpp): clients on this host register their UDP port with
 * REPEATER_REGISTER; the repeater confirms, and fans every other datagram it receives (server
 * beacons above all) out to them, filling in a beacon's server address when the server left it 0.
 * Registrations are accepted from loopback only. Clients that went away are found, as EPICS finds
 * them, by trying to bind their port: if the bind succeeds, nobody holds it any more.
 */
import dgram from 'node:dgram';
import { CA_HEADER_SIZE, ipv4ToNumber, repeaterConfirmMessage } from './codec.ts';
import { CA_PROTO_RSRV_IS_UP, CA_REPEATER_PORT, REPEATER_REGISTER } from './constants.ts';

export interface CaRepeaterOptions {
  /** Default 5065. */
  port?: number;
  /** Default 0.0.0.0, so that beacons broadcast by servers on other hosts arrive. */
  bindAddress?: string;
  onError?: (err: Error, context: string) => void;
}

export interface RepeaterClient {
  address: string;
  port: number;
}

/** the zeroed VERSION a repeater sends as a no-op (repeater.cpp's `noop`) */
const NOOP = Buffer.alloc(CA_HEADER_SIZE);

function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

export class CaRepeater {
  readonly #options: CaRepeaterOptions;
  readonly #clients = new Map<number, RepeaterClient>();
  #socket: dgram.Socket | undefined;
  #port: number;
  forwarded = 0;

  constructor(options: CaRepeaterOptions = {}) {
    this.#options = options;
    this.#port = options.port ?? CA_REPEATER_PORT;
  }

  /** Starts a repeater unless the port is taken (by another repeater, usually); then undefined. */
  static async startIfFree(options: CaRepeaterOptions = {}): Promise<CaRepeater | undefined> {
    const repeater = new CaRepeater(options);
    try {
      await repeater.start();
      return repeater;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
      throw err;
    }
  }

  get port(): number {
    return this.#port;
  }

  get clients(): RepeaterClient[] {
    return [...this.#clients.values()];
  }

  /** Binds the port; rejects with EADDRINUSE when another repeater holds it. */
  async start(): Promise<void> {
    if (this.#socket) return;
    const socket = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.#port, address: this.#options.bindAddress ?? '0.0.0.0', exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.#options.onError?.(err, 'repeater socket'));
    socket.on('message', (datagram, from) => this.#receive(datagram, from.address, from.port));
    this.#port = socket.address().port;
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#clients.clear();
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #receive(datagram: Buffer, address: string, port: number): void {
    let message = datagram;
    if (message.length === 0) {
      this.#register(address, port);
      return;
    }
    if (message.length >= CA_HEADER_SIZE && message.readUInt16BE(0) === REPEATER_REGISTER) {
      this.#register(address, port);
      message = message.subarray(CA_HEADER_SIZE);
      if (message.length === 0) return;
    } else if (message.length >= CA_HEADER_SIZE && message.readUInt16BE(0) === CA_PROTO_RSRV_IS_UP && message.readUInt32BE(12) === 0) {
      message = Buffer.from(message);
      message.writeUInt32BE(ipv4ToNumber(address), 12);
    }
    this.#fanOut(message, address, port);
  }

  #register(address: string, port: number): void {
    if (!isLoopback(address)) return;
    const isNew = !this.#clients.has(port);
    this.#clients.set(port, { address, port });
    this.#send(repeaterConfirmMessage(ipv4ToNumber(address)), address, port);
    // lets the other clients' sockets see traffic, so that dead ones show up (repeater.cpp does the same)
    this.#fanOut(NOOP, address, port);
    if (isNew) void this.pruneClients();
  }

  #fanOut(message: Buffer, fromAddress: string, fromPort: number): void {
    for (const client of this.#clients.values()) {
      if (client.port === fromPort && client.address === fromAddress) continue;
      this.#send(message, client.address, client.port);
      this.forwarded++;
    }
  }

  #send(message: Buffer, address: string, port: number): void {
    this.#socket?.send(message, port, address, (err) => {
      if (err) this.#options.onError?.(err, `repeater send to ${address}:${port}`);
    });
  }

  /** Drops clients whose port nobody holds any more (run after each new registration); returns how many. */
  async pruneClients(): Promise<number> {
    let pruned = 0;
    for (const client of [...this.#clients.values()]) {
      if (await this.#portInUse(client.port)) continue;
      this.#clients.delete(client.port);
      pruned++;
    }
    return pruned;
  }

  #portInUse(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = dgram.createSocket({ type: 'udp4' });
      probe.once('error', (err: NodeJS.ErrnoException) => {
        resolve(err.code === 'EADDRINUSE');
      });
      probe.bind({ port, address: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(false)));
    });
  }
}
