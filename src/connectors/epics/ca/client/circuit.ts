import net from 'node:net';
import os from 'node:os';
import {
  CaFrameSplitter,
  CaProtocolError,
  CaStatusError,
  clearChannelMessage,
  clientNameMessage,
  createChannelRequest,
  decodeAccessRights,
  decodeErrorMessage,
  echoMessage,
  hostNameMessage,
  versionMessage,
  type AccessRights,
  type CaMessage,
} from '../codec.ts';
import {
  CA_MINOR_PROTOCOL_REVISION,
  CA_PROTO_ACCESS_RIGHTS,
  CA_PROTO_CLEAR_CHANNEL,
  CA_PROTO_CREATE_CHAN,
  CA_PROTO_CREATE_CH_FAIL,
  CA_PROTO_ECHO,
  CA_PROTO_ERROR,
  CA_PROTO_EVENT_ADD,
  CA_PROTO_READ,
  CA_PROTO_READ_NOTIFY,
  CA_PROTO_SERVER_DISCONN,
  CA_PROTO_VERSION,
  CA_PROTO_WRITE,
  CA_PROTO_WRITE_NOTIFY,
  commandName,
} from '../constants.ts';
import type { CaLogger } from './config.ts';

/** What a circuit tells a channel it carries. */
export interface CircuitChannel {
  readonly cid: number;
  readonly name: string;
  onCreated(nativeType: number, nativeCount: number, sid: number): void;
  onAccessRights(rights: AccessRights): void;
  /** the server refused the channel (CREATE_CH_FAIL) or dropped it (SERVER_DISCONN) */
  onServerDisconnect(reason: string): void;
  onCircuitLost(reason: string): void;
}

/** A request awaiting its reply, keyed by ioid. */
export interface CircuitOperation {
  readonly ioid: number;
  complete(message: CaMessage): void;
  fail(error: Error): void;
}

/** An active subscription, keyed by subscription id. */
export interface CircuitSubscription {
  readonly subscriptionId: number;
  update(message: CaMessage): void;
  fail(error: Error): void;
}

export interface CircuitOptions {
  host: string;
  port: number;
  connectionTimeoutMs: number;
  echoTimeoutMs: number;
  maxArrayBytes: number;
  logger: CaLogger;
  onClose(circuit: Circuit, reason: string): void;
}

/** room for the DBR metadata (CTRL/GR structures, at most 422 bytes) on top of EPICS_CA_MAX_ARRAY_BYTES */
const DBR_METADATA_ROOM = 512;

/**
 * One TCP virtual circuit to a CA server, shared by every channel on that server. Frames written in one
 * event-loop turn leave in one write; a silent circuit is probed with ECHO and closed when the probe
 * goes unanswered, after which its channels look for the server again.
 */
export class Circuit {
  /** `host:port` of the server */
  readonly key: string;
  /** the server's minor protocol revision, from its VERSION */
  serverMinorVersion = 0;
  readonly #options: CircuitOptions;
  readonly #socket: net.Socket;
  readonly #splitter: CaFrameSplitter;
  readonly #channels = new Map<number, CircuitChannel>();
  readonly #operations = new Map<number, CircuitOperation>();
  readonly #subscriptions = new Map<number, CircuitSubscription>();
  #outbox: Buffer[] = [];
  #outboxBytes = 0;
  #flushHandle: NodeJS.Immediate | undefined;
  readonly #idleTimer: NodeJS.Timeout;
  #echoTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #closed = false;
  readonly closedPromise: Promise<void>;

  constructor(options: CircuitOptions) {
    this.#options = options;
    this.key = `${options.host}:${options.port}`;
    this.#splitter = new CaFrameSplitter({ maxPayloadSize: options.maxArrayBytes + DBR_METADATA_ROOM });
    this.#socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    this.closedPromise = new Promise((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.on('connect', () => {
      this.#connected = true;
      this.#idleTimer.refresh();
    });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err) => this.close(`${this.key}: ${err.message}`));
    this.#socket.on('close', () => this.close(`${this.key}: connection closed by the server`));
    this.#idleTimer = setTimeout(() => this.#onSilence(), options.connectionTimeoutMs);
    // the order libca uses (test/fixtures/ca/libca-frames.json)
    this.send(versionMessage({ priority: 0, minorVersion: CA_MINOR_PROTOCOL_REVISION }));
    this.send(clientNameMessage(osUserName()));
    this.send(hostNameMessage(os.hostname()));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** asks the server for the channel; its reply arrives through `onCreated` (or `onServerDisconnect`) */
  attach(channel: CircuitChannel): void {
    this.#channels.set(channel.cid, channel);
    this.send(createChannelRequest({ name: channel.name, cid: channel.cid, minorVersion: CA_MINOR_PROTOCOL_REVISION }));
  }

  /** forgets the channel (with a server id, clearing it on the server); a circuit left empty is closed */
  detach(channel: CircuitChannel, sid?: number): void {
    this.#channels.delete(channel.cid);
    if (this.#closed) return;
    if (this.#channels.size === 0) this.close(`${this.key}: no channels left`, { quiet: true });
    else if (sid !== undefined) this.send(clearChannelMessage({ sid, cid: channel.cid }));
  }

  track(operation: CircuitOperation): void {
    this.#operations.set(operation.ioid, operation);
  }

  untrack(ioid: number): void {
    this.#operations.delete(ioid);
  }

  addSubscription(subscription: CircuitSubscription): void {
    this.#subscriptions.set(subscription.subscriptionId, subscription);
  }

  removeSubscription(subscriptionId: number): void {
    this.#subscriptions.delete(subscriptionId);
  }

  send(frame: Buffer): void {
    if (this.#closed) return;
    this.#outbox.push(frame);
    this.#outboxBytes += frame.length;
    this.#flushHandle ??= setImmediate(() => this.#flush());
  }

  /** closes the socket; every channel on it is told the circuit is lost (unless `quiet`, at shutdown) */
  close(reason: string, options: { quiet?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#echoTimer);
    if (this.#flushHandle) clearImmediate(this.#flushHandle);
    this.#outbox = [];
    this.#socket.destroy();
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    this.#operations.clear();
    this.#subscriptions.clear();
    this.#options.onClose(this, reason);
    if (options.quiet) return;
    for (const channel of channels) channel.onCircuitLost(reason);
  }

  #flush(): void {
    this.#flushHandle = undefined;
    if (this.#closed || !this.#outbox.length) return;
    const data = this.#outbox.length === 1 ? this.#outbox[0]! : Buffer.concat(this.#outbox, this.#outboxBytes);
    this.#outbox = [];
    this.#outboxBytes = 0;
    this.#socket.write(data);
  }

  #onSilence(): void {
    if (!this.#connected) {
      this.close(`${this.key}: no connection within ${this.#options.connectionTimeoutMs / 1000} s`);
      return;
    }
    this.send(echoMessage());
    this.#echoTimer = setTimeout(
      () => this.close(`${this.key}: no reply to ECHO within ${this.#options.echoTimeoutMs / 1000} s`),
      this.#options.echoTimeoutMs,
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    if (this.#echoTimer) {
      clearTimeout(this.#echoTimer);
      this.#echoTimer = undefined;
    }
    this.#idleTimer.refresh();
    try {
      for (const message of this.#splitter.push(chunk)) {
        this.#dispatch(message);
        if (this.#closed) return;
      }
    } catch (err) {
      if (!(err instanceof CaProtocolError)) throw err;
      this.#options.logger.warn(`${this.key}: closing circuit after a protocol error: ${err.message}`);
      this.close(`${this.key}: protocol error: ${err.message}`);
    }
  }

  #dispatch(message: CaMessage): void {
    switch (message.command) {
      case CA_PROTO_VERSION:
        this.serverMinorVersion = message.dataCount;
        return;
      case CA_PROTO_READ_NOTIFY:
      case CA_PROTO_WRITE_NOTIFY:
        return this.#complete(message.p2, message);
      case CA_PROTO_EVENT_ADD:
        // the confirmation of an EVENT_CANCEL finds nothing here: cancelling forgets the subscription at once
        this.#subscriptions.get(message.p2)?.update(message);
        return;
      case CA_PROTO_CREATE_CHAN:
        this.#channels.get(message.p1)?.onCreated(message.dataType, message.dataCount, message.p2);
        return;
      case CA_PROTO_ACCESS_RIGHTS:
        this.#channels.get(message.p1)?.onAccessRights(decodeAccessRights(message));
        return;
      case CA_PROTO_CREATE_CH_FAIL:
        return this.#serverDisconnect(message.p1, 'the server refused to create the channel');
      case CA_PROTO_SERVER_DISCONN:
        return this.#serverDisconnect(message.p1, 'the server disconnected the channel');
      case CA_PROTO_ERROR:
        return this.#onError(message);
      case CA_PROTO_ECHO:
      case CA_PROTO_CLEAR_CHANNEL:
        return;
      default:
        throw new CaProtocolError(`unexpected ${commandName(message.command)} from the server`);
    }
  }

  #complete(ioid: number, message: CaMessage): void {
    const operation = this.#operations.get(ioid);
    if (!operation) return;
    this.#operations.delete(ioid);
    try {
      operation.complete(message);
    } catch (err) {
      operation.fail(err as Error);
      if (err instanceof CaProtocolError) throw err;
    }
  }

  #serverDisconnect(cid: number, reason: string): void {
    const channel = this.#channels.get(cid);
    if (!channel) return;
    this.#channels.delete(cid);
    channel.onServerDisconnect(`${channel.name}: ${reason}`);
  }

  #onError(message: CaMessage): void {
    const report = decodeErrorMessage(message);
    const error = new CaStatusError(report.status, report.message || undefined);
    const request = report.request;
    switch (request?.command) {
      case CA_PROTO_READ_NOTIFY:
      case CA_PROTO_READ:
      case CA_PROTO_WRITE_NOTIFY: {
        const operation = this.#operations.get(request.p2);
        this.#operations.delete(request.p2);
        operation?.fail(error);
        return;
      }
      case CA_PROTO_EVENT_ADD:
        this.#subscriptions.get(request.p2)?.fail(error);
        return;
      case CA_PROTO_CREATE_CHAN:
        return this.#serverDisconnect(request.p1, error.message);
      case CA_PROTO_WRITE:
        this.#options.logger.warn(`${this.key}: a write was refused: ${error.message}`);
        return;
      default:
        this.#options.logger.warn(`${this.key}: server reported ${error.message}`);
    }
  }
}

function osUserName(): string {
  try {
    return os.userInfo().username || 'burrow';
  } catch {
    return 'burrow';
  }
}
