/**
 * The UDP name-search responder. Replies to one requester are gathered over a receive burst (the
 * datagrams read in one event-loop turn) and sent as few datagrams as fit: a VERSION header echoing
 * the request's sequence number (for clients of minor ≥ 11, as rsrv does), then up to 1,400 bytes of
 * SEARCH replies. Names the server does not have get no UDP reply at all.
 */
import { CaProtocolError, decodeChannelName, decodeDatagram, searchResponse, udpVersionMessage } from '../codec.ts';
import { CA_PROTO_SEARCH, CA_PROTO_VERSION, CA_UKN_MINOR_VERSION, CA_V411, CA_VSUPPORTED } from '../constants.ts';
import type { FrameLogEntry } from './types.ts';

/** SEARCH reply bytes per datagram, after the VERSION header (spec §5.4) */
export const SEARCH_REPLY_BYTES_PER_DATAGRAM = 1400;

interface Requester {
  address: string;
  port: number;
  minorVersion: number;
  sequenceNumber: number;
  replies: Buffer[];
}

export interface SearchResponderOptions {
  serverPort(): number;
  serves(name: string): boolean;
  send(datagram: Buffer, address: string, port: number): void;
  logFrame?: (entry: FrameLogEntry) => void;
}

export class SearchResponder {
  readonly #options: SearchResponderOptions;
  #burst = new Map<string, Requester>();
  #flushScheduled = false;
  searchesAnswered = 0;

  constructor(options: SearchResponderOptions) {
    this.#options = options;
  }

  /** Handles one received datagram; garbage is dropped whole, as rsrv stops at the first bad message. */
  receive(datagram: Buffer, address: string, port: number): void {
    const peer = `${address}:${port}`;
    this.#options.logFrame?.({ direction: 'in', transport: 'udp', peer, frame: datagram });
    let messages;
    try {
      messages = decodeDatagram(datagram);
    } catch (err) {
      if (err instanceof CaProtocolError) return;
      throw err;
    }
    // the minor revision is per datagram: a datagram without VERSION comes from a pre-3.14 client
    let minorVersion = CA_UKN_MINOR_VERSION;
    let sequenceNumber = 0;
    for (const message of messages) {
      if (message.command === CA_PROTO_VERSION) {
        minorVersion = message.dataCount;
        sequenceNumber = message.p1;
      } else if (message.command === CA_PROTO_SEARCH && CA_VSUPPORTED(message.dataCount)) {
        let name: string;
        try {
          name = decodeChannelName(message.payload);
        } catch {
          continue;
        }
        if (!this.#options.serves(name)) continue;
        const requester = this.#requester(peer, address, port);
        requester.minorVersion = minorVersion;
        requester.sequenceNumber = sequenceNumber;
        requester.replies.push(searchResponse({ port: this.#options.serverPort(), cid: message.p2 }));
      }
    }
  }

  #requester(peer: string, address: string, port: number): Requester {
    let requester = this.#burst.get(peer);
    if (!requester) {
      requester = { address, port, minorVersion: CA_UKN_MINOR_VERSION, sequenceNumber: 0, replies: [] };
      this.#burst.set(peer, requester);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    }
    return requester;
  }

  #flush(): void {
    const burst = this.#burst;
    this.#burst = new Map();
    this.#flushScheduled = false;
    for (const requester of burst.values()) {
      const head = CA_V411(requester.minorVersion) ? [udpVersionMessage({ sequenceNumber: requester.sequenceNumber })] : [];
      let parts = [...head];
      let bytes = 0;
      const sendParts = (): void => {
        const datagram = Buffer.concat(parts);
        this.#options.logFrame?.({ direction: 'out', transport: 'udp', peer: `${requester.address}:${requester.port}`, frame: datagram });
        this.#options.send(datagram, requester.address, requester.port);
      };
      for (const reply of requester.replies) {
        if (bytes + reply.length > SEARCH_REPLY_BYTES_PER_DATAGRAM) {
          sendParts();
          parts = [...head];
          bytes = 0;
        }
        parts.push(reply);
        bytes += reply.length;
      }
      sendParts();
      this.searchesAnswered += requester.replies.length;
    }
  }
}
