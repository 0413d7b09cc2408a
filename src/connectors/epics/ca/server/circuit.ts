/**
 * One TCP virtual circuit of the CA server: the requests of one client, its channels and its
 * subscriptions. Replies made while handling one chunk of input go out as one write. Monitor updates
 * are coalesced per subscription (latest wins) while the client asked for EVENTS_OFF, while the
 * socket has over 1 MiB queued, or while the server is frozen, so a slow client never makes the
 * server buffer without bound.
 */
import type net from 'node:net';
import {
  CaFrameSplitter,
  CaProtocolError,
  CaStatusError,
  accessRightsMessage,
  clearChannelMessage,
  createChannelFailMessage,
  createChannelResponse,
  decodeCString,
  decodeChannelName,
  decodeMonitorInfo,
  encodeHeader,
  encodeMessage,
  errorMessage,
  eventAddResponse,
  eventCancelResponse,
  notFoundMessage,
  readNotifyResponse,
  searchResponse,
  serverDisconnMessage,
  versionMessage,
  writeNotifyResponse,
  type CaHeader,
  type CaMessage,
} from '../codec.ts';
import {
  CA_PROTO_CLEAR_CHANNEL,
  CA_PROTO_CLIENT_NAME,
  CA_PROTO_CREATE_CHAN,
  CA_PROTO_ECHO,
  CA_PROTO_EVENTS_OFF,
  CA_PROTO_EVENTS_ON,
  CA_PROTO_EVENT_ADD,
  CA_PROTO_EVENT_CANCEL,
  CA_PROTO_HOST_NAME,
  CA_PROTO_READ_NOTIFY,
  CA_PROTO_READ_SYNC,
  CA_PROTO_SEARCH,
  CA_PROTO_VERSION,
  CA_PROTO_WRITE,
  CA_PROTO_WRITE_NOTIFY,
  CA_UKN_MINOR_VERSION,
  DBE_ALARM,
  DBE_VALUE,
  DOREPLY,
  ECA_BADCHID,
  ECA_BADMONID,
  ECA_INTERNAL,
  ECA_NORMAL,
  ECA_NOWTACCESS,
  ECA_PUTFAIL,
  commandName,
} from '../constants.ts';
import { decodeWrite, readReply } from './dbr-reply.ts';
import type { CaServedPv, CircuitHost, ServerChannel, Subscription } from './types.ts';

/** queued bytes past which monitor updates are coalesced instead of written */
const CONGESTED_BYTES = 1024 * 1024;
const NO_CID = 0xffffffff;

export class CaCircuit {
  readonly peer: string;
  clientMinorVersion = CA_UKN_MINOR_VERSION;
  priority = 0;
  hostName = '';
  userName = '';
  eventsSent = 0;
  readonly #socket: net.Socket;
  readonly #host: CircuitHost;
  readonly #splitter = new CaFrameSplitter();
  readonly #channels = new Map<number, ServerChannel>();
  readonly #pending = new Set<Subscription>();
  #outbox: Buffer[] = [];
  #outboxBytes = 0;
  #flushScheduled = false;
  #eventsOff = false;
  #frozen = false;
  #closed = false;

  constructor(socket: net.Socket, host: CircuitHost) {
    this.#socket = socket;
    this.#host = host;
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('drain', () => this.#flushPending());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#cleanup());
    // rsrv announces its minor revision first; libca waits for it before trusting large arrays
    this.#send(versionMessage());
  }

  get channelCount(): number {
    return this.#channels.size;
  }

  /** bytes written but not yet handed to the kernel, plus replies not yet written */
  get bufferedBytes(): number {
    return this.#socket.writableLength + this.#outboxBytes;
  }

  get subscriptionCount(): number {
    let count = 0;
    for (const channel of this.#channels.values()) count += channel.subscriptions.size;
    return count;
  }

  /** a change of `subscription`'s PV matched its mask */
  post(subscription: Subscription): void {
    if (this.#closed) return;
    if (this.#eventsOff || this.#frozen || this.#congested()) {
      this.#pending.add(subscription);
      return;
    }
    this.#sendUpdate(subscription);
  }

  accessChanged(channel: ServerChannel): void {
    this.#send(accessRightsMessage({ cid: channel.cid, ...channel.pv.access }));
  }

  /** the PV went away: the client hears SERVER_DISCONN and searches again */
  pvRemoved(channel: ServerChannel): void {
    this.#closeChannel(channel);
    this.#send(serverDisconnMessage(channel.cid));
  }

  /** stop reading and writing until `thaw` (the freeze hook) */
  freeze(): void {
    this.#frozen = true;
    this.#socket.pause();
  }

  thaw(): void {
    this.#frozen = false;
    this.#socket.resume();
    this.#flush();
    this.#flushPending();
  }

  /** drop the connection abruptly, as a crashed IOC or a cut cable would */
  destroy(): void {
    this.#socket.destroy();
  }

  #congested(): boolean {
    return this.bufferedBytes > CONGESTED_BYTES;
  }

  #receive(chunk: Buffer): void {
    let messages: CaMessage[];
    try {
      messages = this.#splitter.push(chunk);
    } catch (err) {
      this.#host.onError?.(err as Error, `circuit ${this.peer}: unreadable stream, closing`);
      this.#socket.destroy();
      return;
    }
    for (const message of messages) {
      if (this.#closed) return;
      if (this.#host.logFrame) this.#log('in', Buffer.concat([encodeHeader(message), message.payload]));
      try {
        this.#handle(message);
      } catch (err) {
        this.#host.onError?.(err as Error, `circuit ${this.peer}: ${commandName(message.command)}`);
        this.#sendError(message, NO_CID, err instanceof CaStatusError ? err.status : ECA_INTERNAL, (err as Error).message);
      }
    }
  }

  #handle(message: CaMessage): void {
    switch (message.command) {
      case CA_PROTO_VERSION:
        this.clientMinorVersion = message.dataCount;
        this.priority = message.dataType;
        return;
      case CA_PROTO_HOST_NAME:
        this.hostName = decodeCString(message.payload);
        return;
      case CA_PROTO_CLIENT_NAME:
        this.userName = decodeCString(message.payload);
        return;
      case CA_PROTO_ECHO:
        this.#send(encodeMessage({ ...message }));
        return;
      case CA_PROTO_READ_SYNC:
        this.#send(encodeMessage({ command: CA_PROTO_READ_SYNC, dataType: message.dataType, dataCount: message.dataCount, p1: message.p1, p2: message.p2 }));
        return;
      case CA_PROTO_EVENTS_OFF:
        this.#eventsOff = true;
        return;
      case CA_PROTO_EVENTS_ON:
        this.#eventsOff = false;
        this.#flushPending();
        return;
      case CA_PROTO_SEARCH:
        return this.#search(message);
      case CA_PROTO_CREATE_CHAN:
        return this.#createChannel(message);
      case CA_PROTO_CLEAR_CHANNEL:
        return this.#clearChannel(message);
      case CA_PROTO_READ_NOTIFY:
        return this.#readNotify(message);
      case CA_PROTO_WRITE:
      case CA_PROTO_WRITE_NOTIFY:
        return this.#write(message);
      case CA_PROTO_EVENT_ADD:
        return this.#eventAdd(message);
      case CA_PROTO_EVENT_CANCEL:
        return this.#eventCancel(message);
      default:
        this.#sendError(message, NO_CID, ECA_INTERNAL, `unsupported request ${commandName(message.command)}`);
    }
  }

  #search(message: CaMessage): void {
    let name: string | undefined;
    try {
      name = decodeChannelName(message.payload);
    } catch (err) {
      if (!(err instanceof CaProtocolError)) throw err;
    }
    if (name !== undefined && this.#host.findPv(name)) {
      this.#send(searchResponse({ port: this.#host.serverPort(), cid: message.p2 }));
    } else if (message.dataType === DOREPLY) {
      this.#send(notFoundMessage(message));
    }
  }

  #createChannel(message: CaMessage): void {
    const cid = message.p1;
    let pv: CaServedPv | undefined;
    try {
      pv = this.#host.findPv(decodeChannelName(message.payload));
    } catch (err) {
      if (!(err instanceof CaProtocolError)) throw err;
    }
    if (!pv) {
      this.#send(createChannelFailMessage(cid));
      return;
    }
    if (this.clientMinorVersion === CA_UKN_MINOR_VERSION) this.clientMinorVersion = message.p2;
    const channel: ServerChannel = { sid: this.#host.nextSid(), cid, pv, circuit: this, subscriptions: new Map() };
    this.#channels.set(channel.sid, channel);
    this.#host.channelOpened(channel);
    this.#send(accessRightsMessage({ cid, ...pv.access }));
    this.#send(createChannelResponse({ nativeType: pv.fieldType, nativeCount: pv.maxCount, cid, sid: channel.sid }));
  }

  #channelFor(message: CaMessage): ServerChannel | undefined {
    const channel = this.#channels.get(message.p1);
    if (!channel) this.#sendError(message, NO_CID, ECA_BADCHID, `no channel with server id ${message.p1}`);
    return channel;
  }

  #clearChannel(message: CaMessage): void {
    const channel = this.#channelFor(message);
    if (!channel) return;
    this.#closeChannel(channel);
    this.#send(clearChannelMessage({ sid: channel.sid, cid: channel.cid }));
  }

  #readNotify(message: CaMessage): void {
    const channel = this.#channelFor(message);
    if (!channel) return;
    const reply = readReply(channel.pv, message.dataType, message.dataCount);
    this.#send(readNotifyResponse({ dataType: message.dataType, dataCount: reply.dataCount, status: reply.status, ioid: message.p2, payload: reply.payload }));
  }

  #write(message: CaMessage): void {
    const channel = this.#channelFor(message);
    if (!channel) return;
    const notify = message.command === CA_PROTO_WRITE_NOTIFY;
    const answer = (status: number): void => {
      if (this.#closed) return;
      if (notify) this.#send(writeNotifyResponse({ dataType: message.dataType, dataCount: message.dataCount, status, ioid: message.p2 }));
      else if (status !== ECA_NORMAL) this.#sendError(message, channel.cid, status, `write to ${channel.pv.name} failed`);
    };
    if (!channel.pv.access.write) return answer(ECA_NOWTACCESS);
    let decoded;
    try {
      decoded = decodeWrite(message.dataType, message.dataCount, message.payload);
    } catch (err) {
      if (err instanceof CaStatusError) return answer(err.status);
      throw err;
    }
    channel.pv.write(decoded.values, decoded.fieldType).then(answer, (err: Error) => {
      this.#host.onError?.(err, `write to ${channel.pv.name}`);
      answer(ECA_PUTFAIL);
    });
  }

  #eventAdd(message: CaMessage): void {
    const channel = this.#channelFor(message);
    if (!channel) return;
    // mon_info is absent from requests of very old clients; value and alarm is what they expect
    const mask = message.payload.length >= 14 ? decodeMonitorInfo(message.payload).mask : DBE_VALUE | DBE_ALARM;
    const subscription: Subscription = { channel, id: message.p2, dataType: message.dataType, dataCount: message.dataCount, mask };
    const replaced = channel.subscriptions.get(subscription.id);
    if (replaced) this.#pending.delete(replaced);
    channel.subscriptions.set(subscription.id, subscription);
    this.post(subscription);
  }

  #eventCancel(message: CaMessage): void {
    const channel = this.#channelFor(message);
    if (!channel) return;
    const subscription = channel.subscriptions.get(message.p2);
    if (!subscription) {
      this.#sendError(message, channel.cid, ECA_BADMONID, `no subscription ${message.p2} on ${channel.pv.name}`);
      return;
    }
    channel.subscriptions.delete(subscription.id);
    this.#pending.delete(subscription);
    this.#send(eventCancelResponse({ dataType: subscription.dataType, dataCount: subscription.dataCount, sid: channel.sid, subscriptionId: subscription.id }));
  }

  #sendUpdate(subscription: Subscription): void {
    const reply = readReply(subscription.channel.pv, subscription.dataType, subscription.dataCount);
    this.eventsSent++;
    this.#send(eventAddResponse({ dataType: subscription.dataType, dataCount: reply.dataCount, status: reply.status, subscriptionId: subscription.id, payload: reply.payload }));
  }

  #flushPending(): void {
    for (const subscription of this.#pending) {
      if (this.#eventsOff || this.#frozen || this.#closed || this.#congested()) return;
      this.#pending.delete(subscription);
      if (subscription.channel.subscriptions.get(subscription.id) === subscription) this.#sendUpdate(subscription);
    }
  }

  #sendError(request: CaHeader, cid: number, status: number, text: string): void {
    this.#send(errorMessage({ cid, status, request, message: text }));
  }

  #send(frame: Buffer): void {
    if (this.#closed) return;
    this.#log('out', frame);
    this.#outbox.push(frame);
    this.#outboxBytes += frame.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#frozen || this.#closed || this.#outbox.length === 0) return;
    const data = this.#outbox.length === 1 ? this.#outbox[0]! : Buffer.concat(this.#outbox, this.#outboxBytes);
    this.#outbox = [];
    this.#outboxBytes = 0;
    this.#socket.write(data);
  }

  #log(direction: 'in' | 'out', frame: Buffer): void {
    this.#host.logFrame?.({ direction, transport: 'tcp', peer: this.peer, frame });
  }

  #closeChannel(channel: ServerChannel): void {
    for (const subscription of channel.subscriptions.values()) this.#pending.delete(subscription);
    this.#channels.delete(channel.sid);
    this.#host.channelClosed(channel);
  }

  #cleanup(): void {
    if (this.#closed) return;
    for (const channel of [...this.#channels.values()]) this.#closeChannel(channel);
    this.#closed = true;
    this.#outbox = [];
    this.#pending.clear();
    this.#host.circuitClosed(this);
  }
}
