import type { Beacon, SearchReply } from '../codec.ts';
import { CaRepeater } from '../repeater.ts';
import { BeaconTracker } from './beacons.ts';
import { Channel, type ChannelHost } from './channel.ts';
import { Circuit } from './circuit.ts';
import { readCaClientConfig, silentLogger, type CaClientConfig, type CaLogger } from './config.ts';
import { SearchScheduler } from './search.ts';
import { SearchTransport } from './udp.ts';

export interface ContextOptions {
  /** environment to read EPICS_CA_* from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** a prefix whose copies of EPICS_CA_* win, e.g. `SQUIRREL_` */
  overridePrefix?: string;
  /** settings that win over the environment */
  config?: Partial<CaClientConfig>;
  logger?: CaLogger;
  /** default timeout of connection waits and operations; default 5 s */
  timeoutMs?: number;
}

export interface ContextStats {
  channels: number;
  connected: number;
  searching: number;
  circuits: number;
}

/**
 * A Channel Access client context: configuration, the UDP search socket, beacon tracking and one
 * TCP circuit per server. Channels are cheap; create them with `channel(name)` and close them, or
 * close the whole context, which leaves no socket or timer behind.
 */
export class Context {
  readonly config: CaClientConfig;
  readonly #logger: CaLogger;
  readonly #channels = new Map<number, Channel>();
  readonly #circuits = new Map<string, Circuit>();
  readonly #scheduler: SearchScheduler;
  readonly #transport: SearchTransport;
  readonly #beacons: BeaconTracker;
  readonly #host: ChannelHost;
  readonly #ready: Promise<void>;
  #repeater: CaRepeater | undefined;
  /** channels created before the socket was ready, searched once it is */
  #waitingForStart: Set<Channel> | undefined = new Set();
  #nextCid = 1;
  #nextIoid = 1;
  #nextSubscriptionId = 1;
  #closed = false;

  constructor(options: ContextOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
    this.config = {
      ...readCaClientConfig(options.env ?? process.env, { overridePrefix: options.overridePrefix, logger: this.#logger }),
      ...options.config,
    };
    this.#scheduler = new SearchScheduler({
      maxSearchPeriodMs: this.config.maxSearchPeriodMs,
      send: (batch) => this.#transport.send(batch),
    });
    this.#transport = new SearchTransport({
      ...this.config,
      logger: this.#logger,
      onSearchReply: (reply, sender) => this.#onSearchReply(reply, sender),
      onBeacon: (beacon, sender) => this.#onBeacon(beacon, sender),
    });
    this.#beacons = new BeaconTracker((server, anomaly) => {
      this.#logger.debug(`CA beacon anomaly (${anomaly}) from ${server}: searching again for ${this.#scheduler.size} channels`);
      this.#scheduler.resetBackoff();
    });
    this.#host = this.#channelHost(options.timeoutMs ?? 5000);
    this.#ready = this.#start();
    this.#ready.catch((err: Error) => this.#logger.warn(`CA context could not start: ${err.message}`));
  }

  /** resolves once the search socket is bound and the destinations are resolved */
  get ready(): Promise<void> {
    return this.#ready;
  }

  get stats(): ContextStats {
    let connected = 0;
    for (const channel of this.#channels.values()) if (channel.connected) connected++;
    return { channels: this.#channels.size, connected, searching: this.#scheduler.size, circuits: this.#circuits.size };
  }

  /** a new channel for `name`; it starts searching at once */
  channel(name: string): Channel {
    if (this.#closed) throw new Error('the CA context is closed');
    const channel = new Channel(this.#host, this.#nextCid++ >>> 0, name);
    this.#channels.set(channel.cid, channel);
    return channel;
  }

  /** closes every channel, circuit, socket and timer */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.catch(() => {});
    const circuits = [...this.#circuits.values()];
    for (const circuit of circuits) circuit.close('context closed', { quiet: true });
    for (const channel of [...this.#channels.values()]) channel.close();
    this.#scheduler.close();
    await Promise.all([this.#transport.close(), this.#repeater?.stop(), ...circuits.map((circuit) => circuit.closedPromise)]);
  }

  async #start(): Promise<void> {
    try {
      // spec §5.3: beacons reach clients through a repeater; with none running, this context hosts one
      if (this.config.startRepeater) {
        this.#repeater = await CaRepeater.startIfFree({
          port: this.config.repeaterPort,
          onError: (err, where) => this.#logger.debug(`CA repeater (${where}): ${err.message}`),
        }).catch((err: Error) => {
          this.#logger.warn(`CA repeater not started, beacons will not be seen: ${err.message}`);
          return undefined;
        });
      }
      await this.#transport.start();
    } finally {
      const waiting = this.#waitingForStart ?? new Set<Channel>();
      this.#waitingForStart = undefined;
      for (const channel of waiting) if (channel.state === 'searching') this.#scheduler.add(channel.cid, channel.name);
    }
  }

  #channelHost(defaultTimeoutMs: number): ChannelHost {
    return {
      defaultTimeoutMs,
      logger: this.#logger,
      search: (channel, failedAttempts) => {
        if (this.#closed) return;
        if (this.#waitingForStart) this.#waitingForStart.add(channel);
        else this.#scheduler.add(channel.cid, channel.name, failedAttempts);
      },
      stopSearching: (channel) => {
        this.#waitingForStart?.delete(channel);
        this.#scheduler.remove(channel.cid);
      },
      forget: (channel) => this.#channels.delete(channel.cid),
      nextIoid: () => this.#nextIoid++ >>> 0,
      nextSubscriptionId: () => this.#nextSubscriptionId++ >>> 0,
    };
  }

  #onSearchReply(reply: SearchReply, senderAddress: string): void {
    const channel = this.#channels.get(reply.cid);
    if (!channel) return;
    const host = reply.serverAddress ?? senderAddress;
    const server = `${host}:${reply.port}`;
    if (channel.state !== 'searching') {
      if (channel.server && channel.server !== server) {
        this.#logger.warn(`${channel.name}: also served by ${server}; keeping ${channel.server} (first reply wins)`);
      }
      return;
    }
    this.#scheduler.remove(channel.cid);
    const circuit = this.#circuitFor(host, reply.port);
    // the server's VERSION on the circuit is authoritative; until it arrives the search reply's will do
    circuit.serverMinorVersion ||= reply.minorVersion;
    channel.onFound(circuit);
  }

  #onBeacon(beacon: Beacon, senderAddress: string): void {
    this.#beacons.observe(`${beacon.serverAddress ?? senderAddress}:${beacon.port}`, beacon.beaconId);
  }

  #circuitFor(host: string, port: number): Circuit {
    const key = `${host}:${port}`;
    const existing = this.#circuits.get(key);
    if (existing && !existing.closed) return existing;
    const circuit = new Circuit({
      host,
      port,
      connectionTimeoutMs: this.config.connectionTimeoutMs,
      echoTimeoutMs: this.config.echoTimeoutMs,
      maxArrayBytes: this.config.maxArrayBytes,
      logger: this.#logger,
      onClose: (closed, reason) => {
        if (this.#circuits.get(closed.key) === closed) this.#circuits.delete(closed.key);
        this.#beacons.forget(closed.key);
        this.#logger.debug(`CA circuit closed: ${reason}`);
      },
    });
    this.#circuits.set(key, circuit);
    return circuit;
  }
}
