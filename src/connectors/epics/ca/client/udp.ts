import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import {
  CaProtocolError,
  decodeBeacon,
  decodeDatagram,
  decodeSearchResponse,
  ipv4ToNumber,
  repeaterRegisterMessage,
  searchRequest,
  udpVersionMessage,
  type Beacon,
  type SearchReply,
} from '../codec.ts';
import { CA_PROTO_RSRV_IS_UP, CA_PROTO_SEARCH, DONTREPLY, REPEATER_CONFIRM } from '../constants.ts';
import { interfaceBroadcastAddresses, type CaLogger, type SearchDestination } from './config.ts';
import type { PendingSearch } from './search.ts';

export interface SearchTransportOptions {
  addressList: readonly SearchDestination[];
  autoAddressList: boolean;
  serverPort: number;
  repeaterPort: number;
  logger: CaLogger;
  onSearchReply(reply: SearchReply, senderAddress: string): void;
  onBeacon(beacon: Beacon, senderAddress: string): void;
}

/** spec §5.3: REPEATER_REGISTER is repeated every 5 s until the repeater confirms */
const REPEATER_REGISTER_INTERVAL_MS = 5000;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The context's UDP socket: sends search datagrams to every destination, receives search replies,
 * and receives the beacons a CA repeater forwards once registered with it.
 */
export class SearchTransport {
  readonly #options: SearchTransportOptions;
  readonly #socket = dgram.createSocket({ type: 'udp4' });
  #destinations: SearchDestination[] = [];
  #sequence = 0;
  #registerTimer: NodeJS.Timeout | undefined;
  #registered = false;
  #closed = false;

  constructor(options: SearchTransportOptions) {
    this.#options = options;
    this.#socket.on('message', (datagram, sender) => this.#onDatagram(datagram, sender.address));
    this.#socket.on('error', (err) => options.logger.warn(`CA UDP socket: ${err.message}`));
  }

  get destinations(): readonly SearchDestination[] {
    return this.#destinations;
  }

  /** binds the socket, resolves the search destinations and registers with the repeater */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind({ port: 0 }, () => {
        this.#socket.off('error', reject);
        resolve();
      });
    });
    this.#socket.setBroadcast(true);
    try {
      this.#socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
    } catch {
      // the kernel's limit applies; bursts of replies may then need a second search round
    }
    this.#destinations = await this.#resolveDestinations();
    if (!this.#destinations.length) {
      this.#options.logger.warn('Empty PV search address list: set EPICS_CA_ADDR_LIST or EPICS_CA_AUTO_ADDR_LIST=YES');
    }
    this.#registerWithRepeater();
  }

  send(batch: readonly PendingSearch[]): void {
    if (this.#closed || !batch.length) return;
    const frames = [udpVersionMessage({ sequenceNumber: this.#sequence++ })];
    for (const { name, cid } of batch) frames.push(searchRequest({ name, cid, reply: DONTREPLY }));
    const datagram = Buffer.concat(frames);
    for (const destination of this.#destinations) {
      this.#socket.send(datagram, destination.port, destination.host, (err) => {
        if (err) this.#options.logger.debug(`CA search to ${destination.host}:${destination.port}: ${err.message}`);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#registerTimer);
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        // a socket whose bind failed is already closed
        resolve();
      }
    });
  }

  async #resolveDestinations(): Promise<SearchDestination[]> {
    const { addressList, autoAddressList, serverPort, logger } = this.#options;
    const resolved = await Promise.all(
      addressList.map(async ({ host, port }) => {
        if (net.isIPv4(host)) return { host, port };
        try {
          const { address } = await dns.lookup(host, { family: 4 });
          return { host: address, port };
        } catch (err) {
          logger.warn(`EPICS_CA_ADDR_LIST: cannot resolve ${host}: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
    const automatic = autoAddressList ? interfaceBroadcastAddresses().map((host) => ({ host, port: serverPort })) : [];
    const unique = new Map<string, SearchDestination>();
    for (const destination of [...resolved, ...automatic]) {
      if (destination) unique.set(`${destination.host}:${destination.port}`, destination);
    }
    return [...unique.values()];
  }

  #registerWithRepeater(): void {
    if (this.#closed || this.#registered) return;
    this.#socket.send(repeaterRegisterMessage(ipv4ToNumber('127.0.0.1')), this.#options.repeaterPort, '127.0.0.1', (err) => {
      if (err) this.#options.logger.debug(`CA repeater registration: ${err.message}`);
    });
    this.#registerTimer = setTimeout(() => this.#registerWithRepeater(), REPEATER_REGISTER_INTERVAL_MS);
  }

  #onDatagram(datagram: Buffer, senderAddress: string): void {
    let messages;
    try {
      messages = decodeDatagram(datagram);
    } catch (err) {
      if (!(err instanceof CaProtocolError)) throw err;
      this.#options.logger.debug(`CA datagram from ${senderAddress} dropped: ${err.message}`);
      return;
    }
    for (const message of messages) {
      if (message.command === CA_PROTO_SEARCH) this.#options.onSearchReply(decodeSearchResponse(message), senderAddress);
      else if (message.command === CA_PROTO_RSRV_IS_UP) this.#options.onBeacon(decodeBeacon(message), senderAddress);
      else if (message.command === REPEATER_CONFIRM) {
        this.#registered = true;
        clearTimeout(this.#registerTimer);
      }
    }
  }
}
