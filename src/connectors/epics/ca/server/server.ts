/**
 * The Channel Access server: UDP search responder and TCP virtual circuits on one port, beacons, and
 * monitor fan-out from a PV provider. Test hooks (drop circuits, stop/start on the same port, freeze)
 * are part of its API because the soft IOC exposes them.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { ipv4ToNumber } from '../codec.ts';
import { CA_REPEATER_PORT, CA_SERVER_PORT } from '../constants.ts';
import { BeaconSender } from './beacons.ts';
import { CaCircuit } from './circuit.ts';
import { defaultBeaconAddresses } from './config.ts';
import { SearchResponder } from './search.ts';
import type { CaPvProvider, CaServedPv, CircuitHost, FrameLogEntry, ServerChannel } from './types.ts';

export interface CaServerOptions {
  provider: CaPvProvider;
  /** UDP and TCP port; 0 picks a free one (kept across stop/start). Default 5064. */
  port?: number;
  /** Default 127.0.0.1. */
  bindAddress?: string;
  /** 'host' or 'host:port'; default loopback when bound to it, else the interface broadcasts */
  beaconAddresses?: readonly string[];
  /** Default 5065 (the repeater). */
  beaconPort?: number;
  /** The longest beacon interval. Default 15 s. */
  beaconPeriodMs?: number;
  logFrame?: (entry: FrameLogEntry) => void;
  onError?: (err: Error, context: string) => void;
}

export interface CaServerStats {
  running: boolean;
  frozen: boolean;
  port: number;
  circuits: number;
  channels: number;
  subscriptions: number;
  eventsSent: number;
  /** bytes queued in the process for all circuits (bounded by the per-circuit coalescing) */
  bufferedBytes: number;
  searchesAnswered: number;
  beaconsSent: number;
}

/** how often a port picked for TCP is tried for UDP before giving up (another socket may hold it) */
const SHARED_PORT_ATTEMPTS = 20;
const UDP_SEND_BUFFER_BYTES = 4 * 1024 * 1024;

export class CaServer {
  readonly #options: CaServerOptions;
  readonly #bindAddress: string;
  readonly #circuits = new Set<CaCircuit>();
  readonly #channelsByPv = new Map<CaServedPv, Set<ServerChannel>>();
  readonly #search: SearchResponder;
  readonly #beacons: BeaconSender;
  #port: number;
  #tcp: net.Server | undefined;
  #udp: dgram.Socket | undefined;
  #unlisten: (() => void) | undefined;
  #nextSid = 1;
  #frozen = false;
  #eventsSentByClosedCircuits = 0;

  constructor(options: CaServerOptions) {
    this.#options = options;
    this.#bindAddress = options.bindAddress ?? '127.0.0.1';
    this.#port = options.port ?? CA_SERVER_PORT;
    const send = (datagram: Buffer, address: string, port: number): void => {
      this.#udp?.send(datagram, port, address, (err) => {
        if (err) this.#options.onError?.(err, `UDP send to ${address}:${port}`);
      });
    };
    this.#search = new SearchResponder({
      serverPort: () => this.#port,
      serves: (name) => this.#options.provider.find(name) !== undefined,
      send,
      logFrame: options.logFrame,
    });
    this.#beacons = new BeaconSender({
      addresses: options.beaconAddresses ?? defaultBeaconAddresses(this.#bindAddress),
      port: options.beaconPort ?? CA_REPEATER_PORT,
      serverPort: () => this.#port,
      serverAddress: this.#bindAddress === '0.0.0.0' ? 0 : ipv4ToNumber(this.#bindAddress),
      maxPeriodMs: options.beaconPeriodMs ?? 15_000,
      send,
    });
  }

  /** the bound port (the picked one after starting on port 0) */
  get port(): number {
    return this.#port;
  }

  get bindAddress(): string {
    return this.#bindAddress;
  }

  get running(): boolean {
    return this.#tcp !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const pickPort = this.#port === 0;
    for (let attempt = 1; ; attempt++) {
      const tcp = await this.#listenTcp(this.#port);
      const port = (tcp.address() as net.AddressInfo).port;
      try {
        this.#udp = await this.#bindUdp(port);
        this.#tcp = tcp;
        this.#port = port;
        break;
      } catch (err) {
        await new Promise((resolve) => tcp.close(resolve));
        if (!pickPort || attempt >= SHARED_PORT_ATTEMPTS) throw err;
      }
    }
    this.#unlisten = this.#options.provider.listen({
      changed: (pv, mask) => {
        for (const channel of this.#channelsByPv.get(pv) ?? []) {
          for (const subscription of channel.subscriptions.values()) {
            if (subscription.mask & mask) channel.circuit.post(subscription);
          }
        }
      },
      accessChanged: (pv) => {
        for (const channel of this.#channelsByPv.get(pv) ?? []) channel.circuit.accessChanged(channel);
      },
      removed: (pv) => {
        for (const channel of [...(this.#channelsByPv.get(pv) ?? [])]) channel.circuit.pvRemoved(channel);
      },
    });
    this.#beacons.start();
  }

  /** Closes the sockets and every circuit; `start` opens them again on the same port. */
  async stop(): Promise<void> {
    const tcp = this.#tcp;
    const udp = this.#udp;
    if (!tcp) return;
    this.#tcp = undefined;
    this.#udp = undefined;
    this.#beacons.stop();
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.dropCircuits();
    await Promise.all([new Promise((resolve) => tcp.close(resolve)), new Promise<void>((resolve) => udp?.close(() => resolve()))]);
  }

  /** stop, then start on the same port; the beacon id restarts at 0 */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Destroys every TCP circuit abruptly; returns how many there were. */
  dropCircuits(): number {
    const circuits = [...this.#circuits];
    for (const circuit of circuits) circuit.destroy();
    return circuits.length;
  }

  /** While frozen the server answers nothing, on UDP or TCP, and sends no beacons (clients see a hung IOC). */
  setFrozen(frozen: boolean): void {
    this.#frozen = frozen;
    this.#beacons.setPaused(frozen);
    for (const circuit of this.#circuits) {
      if (frozen) circuit.freeze();
      else circuit.thaw();
    }
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  stats(): CaServerStats {
    let channels = 0;
    let subscriptions = 0;
    let eventsSent = this.#eventsSentByClosedCircuits;
    let bufferedBytes = 0;
    for (const circuit of this.#circuits) {
      bufferedBytes += circuit.bufferedBytes;
      channels += circuit.channelCount;
      subscriptions += circuit.subscriptionCount;
      eventsSent += circuit.eventsSent;
    }
    return {
      running: this.running,
      frozen: this.#frozen,
      port: this.#port,
      circuits: this.#circuits.size,
      channels,
      subscriptions,
      eventsSent,
      bufferedBytes,
      searchesAnswered: this.#search.searchesAnswered,
      beaconsSent: this.#beacons.beaconsSent,
    };
  }

  async #listenTcp(port: number): Promise<net.Server> {
    const host = this.#circuitHost();
    const tcp = net.createServer((socket) => {
      const circuit = new CaCircuit(socket, host);
      this.#circuits.add(circuit);
      if (this.#frozen) circuit.freeze();
    });
    tcp.listen({ port, host: this.#bindAddress });
    await once(tcp, 'listening');
    return tcp;
  }

  async #bindUdp(port: number): Promise<dgram.Socket> {
    // shared like rsrv's, so that several servers on one host all hear broadcast searches
    const udp = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    udp.on('message', (datagram, from) => {
      if (this.#frozen) return;
      try {
        this.#search.receive(datagram, from.address, from.port);
      } catch (err) {
        this.#options.onError?.(err as Error, `UDP datagram from ${from.address}:${from.port}`);
      }
    });
    udp.on('error', (err) => this.#options.onError?.(err, 'UDP socket'));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port, address: this.#bindAddress }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.setBroadcast(true);
    udp.setSendBufferSize(UDP_SEND_BUFFER_BYTES);
    return udp;
  }

  #circuitHost(): CircuitHost {
    return {
      serverPort: () => this.#port,
      findPv: (name) => this.#options.provider.find(name),
      nextSid: () => this.#nextSid++,
      channelOpened: (channel) => {
        let channels = this.#channelsByPv.get(channel.pv);
        if (!channels) this.#channelsByPv.set(channel.pv, (channels = new Set()));
        channels.add(channel);
      },
      channelClosed: (channel) => {
        const channels = this.#channelsByPv.get(channel.pv);
        channels?.delete(channel);
        if (channels?.size === 0) this.#channelsByPv.delete(channel.pv);
      },
      circuitClosed: (circuit) => {
        this.#eventsSentByClosedCircuits += circuit.eventsSent;
        this.#circuits.delete(circuit);
      },
      logFrame: this.#options.logFrame,
      onError: this.#options.onError,
    };
  }
}
