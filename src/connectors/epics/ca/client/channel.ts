import { EventEmitter } from 'node:events';
import {
  CaStatusError,
  readNotifyRequest,
  writeNotifyRequest,
  writeRequest,
  type AccessRights,
} from '../codec.ts';
import { CA_V413, ECA_CHANDESTROY, ECA_DISCONN, ECA_NORDACCESS, ECA_NOWTACCESS, ECA_TIMEOUT, DBE_ALARM, DBE_VALUE } from '../constants.ts';
import type { Circuit, CircuitChannel } from './circuit.ts';
import type { CaLogger } from './config.ts';
import { Subscription, type SubscriptionListener } from './subscription.ts';
import { ConnectionWaiter, PendingRequest, type PendingOwner } from './pending.ts';
import { encodePutValue, resolveDbrType, type CaReading, type DbrRequest, type PutValue } from './values.ts';

export type ChannelState = 'searching' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface OperationOptions {
  /** default: the context's timeout; it covers waiting for the connection as well */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GetOptions extends OperationOptions {
  /** default 'plain' (the native type) */
  type?: DbrRequest;
  /** default: the current element count (dynamic arrays), or the native count on servers older than 4.13 */
  count?: number;
}

export interface PutOptions extends OperationOptions {
  /** a plain field type (0–6) to write in; default: DBR_STRING for text, the native type for numbers */
  fieldType?: number;
}

export interface SubscribeOptions {
  /** default 'time' */
  type?: DbrRequest;
  count?: number;
  /** DBE_* bits; default DBE_VALUE | DBE_ALARM */
  mask?: number;
  /** the server refused the subscription (e.g. ECA_NORDACCESS); it is retried on the next connection */
  onError?(error: Error): void;
}

export interface ChannelEvents {
  /** connected, or reconnected: subscriptions have been re-sent */
  connect: [];
  disconnect: [reason: string];
  accessRights: [rights: AccessRights];
}

/** What a channel needs from its context. */
export interface ChannelHost {
  readonly defaultTimeoutMs: number;
  readonly logger: CaLogger;
  /** `failedAttempts`: found but could not connect that many times in a row, so the search backs off */
  search(channel: Channel, failedAttempts: number): void;
  stopSearching(channel: Channel): void;
  forget(channel: Channel): void;
  nextIoid(): number;
  nextSubscriptionId(): number;
}

/**
 * A named process variable. It finds its server, connects, and comes back by itself after a circuit
 * or server failure, re-sending its subscriptions; callers watch `connect`/`disconnect` events.
 * State cycle: searching → connecting → connected → disconnected → searching…; closed at the end.
 */
export class Channel extends EventEmitter<ChannelEvents> implements CircuitChannel {
  readonly cid: number;
  readonly name: string;
  readonly #host: ChannelHost;
  #state: ChannelState = 'searching';
  #circuit: Circuit | undefined;
  #sid = 0;
  #nativeType = -1;
  #nativeCount = 0;
  #access: AccessRights = { read: false, write: false };
  /** times in a row the server was found but the channel did not connect (refused circuit, CREATE_CH_FAIL) */
  #failedConnects = 0;
  readonly #waiters = new Set<ConnectionWaiter>();
  readonly #operations = new Set<PendingRequest>();
  readonly #requestOwner: PendingOwner = {
    release: (request) => {
      this.#operations.delete(request);
      this.#circuit?.untrack(request.ioid);
    },
  };
  readonly #subscriptions = new Set<Subscription>();

  constructor(host: ChannelHost, cid: number, name: string) {
    super();
    // one channel may be shared by many users (monitors, bulk reads), each with its own listeners
    this.setMaxListeners(0);
    this.#host = host;
    this.cid = cid;
    this.name = name;
    host.search(this, 0);
  }

  get state(): ChannelState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** DBF_* of the PV; -1 before the first connection */
  get nativeType(): number {
    return this.#nativeType;
  }

  get nativeCount(): number {
    return this.#nativeCount;
  }

  /** `host:port` of the server while connected */
  get server(): string | undefined {
    return this.#circuit?.key;
  }

  get accessRights(): AccessRights {
    return { ...this.#access };
  }

  /** resolves once connected; ECA_TIMEOUT when the channel is not connected within the timeout */
  waitConnected(options: OperationOptions = {}): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    const timeoutMs = options.timeoutMs ?? this.#host.defaultTimeoutMs;
    const onTimeout = () => {
      const what = this.#state === 'searching' ? 'not found' : 'not connected';
      return new CaStatusError(ECA_TIMEOUT, `${this.name}: channel ${what} within ${seconds(timeoutMs)} s`);
    };
    return new ConnectionWaiter(this.#waiters, timeoutMs, onTimeout, options.signal).promise;
  }

  /** READ_NOTIFY: one value in the requested type */
  get(options: GetOptions = {}): Promise<CaReading> {
    const started = performance.now();
    // the bulk path: no extra promise when the channel is already connected
    if (this.#state === 'connected') return attempt(() => this.#read(options, started));
    return this.waitConnected(options).then(() => this.#read(options, started));
  }

  /** WRITE without confirmation: resolves once the write is queued on the circuit */
  async put(value: PutValue, options: PutOptions = {}): Promise<void> {
    await this.waitConnected(options);
    if (!this.#access.write) throw new CaStatusError(ECA_NOWTACCESS, this.name);
    const encoded = encodePutValue(value, this.#nativeType, options.fieldType);
    this.#circuit!.send(writeRequest({ ...encoded, sid: this.#sid, ioid: this.#host.nextIoid() }));
  }

  /** WRITE_NOTIFY: resolves when the server has completed the write; a refusal rejects with its ECA status */
  putCallback(value: PutValue, options: PutOptions = {}): Promise<void> {
    const started = performance.now();
    if (this.#state === 'connected') return attempt(() => this.#write(value, options, started));
    return this.waitConnected(options).then(() => this.#write(value, options, started));
  }

  #read(options: GetOptions, started: number): Promise<CaReading> {
    if (!this.#access.read) throw new CaStatusError(ECA_NORDACCESS, this.name);
    const dataType = resolveDbrType(options.type ?? 'plain', this.#nativeType);
    const ioid = this.#host.nextIoid();
    const frame = readNotifyRequest({ dataType, dataCount: options.count ?? this.#defaultCount(), sid: this.#sid, ioid });
    return this.#request(options, started, true, ioid, frame) as Promise<CaReading>;
  }

  async #write(value: PutValue, options: PutOptions, started: number): Promise<void> {
    if (!this.#access.write) throw new CaStatusError(ECA_NOWTACCESS, this.name);
    const encoded = encodePutValue(value, this.#nativeType, options.fieldType);
    const ioid = this.#host.nextIoid();
    await this.#request(options, started, false, ioid, writeNotifyRequest({ ...encoded, sid: this.#sid, ioid }));
  }

  /** EVENT_ADD, kept across reconnections until cancelled */
  subscribe(listener: SubscriptionListener, options: SubscribeOptions = {}): Subscription {
    if (this.#state === 'closed') throw this.#closedError();
    const subscription = new Subscription({
      subscriptionId: this.#host.nextSubscriptionId(),
      channelName: this.name,
      type: options.type ?? 'time',
      count: options.count,
      mask: options.mask ?? DBE_VALUE | DBE_ALARM,
      listener,
      onError: options.onError,
      logger: this.#host.logger,
      onCancel: (cancelled) => this.#subscriptions.delete(cancelled),
    });
    this.#subscriptions.add(subscription);
    if (this.#state === 'connected') this.#start(subscription);
    return subscription;
  }

  /** clears the channel on the server and fails whatever is pending with ECA_CHANDESTROY */
  close(): void {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#state = 'closed';
    this.#host.stopSearching(this);
    this.#circuit?.detach(this, wasConnected ? this.#sid : undefined);
    if (this.#operations.size || this.#waiters.size) {
      const error = this.#closedError();
      this.#failOperations(error);
      for (const waiter of [...this.#waiters]) waiter.reject(error);
    }
    for (const subscription of this.#subscriptions) subscription.detach();
    this.#subscriptions.clear();
    this.#circuit = undefined;
    this.#host.forget(this);
    this.removeAllListeners();
  }

  /** the context found the server that has this name */
  onFound(circuit: Circuit): void {
    if (this.#state !== 'searching') return;
    this.#state = 'connecting';
    this.#circuit = circuit;
    // servers older than 4.1 send no ACCESS_RIGHTS: they grant both
    this.#access = { read: true, write: true };
    circuit.attach(this);
  }

  onCreated(nativeType: number, nativeCount: number, sid: number): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'connected';
    this.#failedConnects = 0;
    this.#nativeType = nativeType;
    this.#nativeCount = nativeCount;
    this.#sid = sid;
    for (const subscription of this.#subscriptions) this.#start(subscription);
    for (const waiter of [...this.#waiters]) waiter.resolve();
    this.emit('connect');
  }

  onAccessRights(rights: AccessRights): void {
    const changed = rights.read !== this.#access.read || rights.write !== this.#access.write;
    this.#access = rights;
    if (changed && this.#state === 'connected') this.emit('accessRights', { ...rights });
  }

  onServerDisconnect(reason: string): void {
    this.#circuit?.detach(this);
    this.#lose(reason);
  }

  onCircuitLost(reason: string): void {
    this.#lose(reason);
  }

  #lose(reason: string): void {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    // operations fail, but callers waiting for a connection keep waiting: the channel is searching again
    if (this.#operations.size) this.#failOperations(new CaStatusError(ECA_DISCONN, `${this.name}: ${reason}`));
    for (const subscription of this.#subscriptions) subscription.detach();
    this.#circuit = undefined;
    this.#state = 'disconnected';
    if (wasConnected) this.emit('disconnect', reason);
    else this.#failedConnects++;
    // a listener may have closed the channel
    if (this.#state !== 'disconnected') return;
    this.#state = 'searching';
    // after a real disconnection the search restarts at the fastest step; a server that answers the
    // search but will not take the channel is not asked again at that pace
    this.#host.search(this, this.#failedConnects);
  }

  #start(subscription: Subscription): void {
    subscription.attach(this.#circuit!, { sid: this.#sid, nativeType: this.#nativeType, defaultCount: this.#defaultCount() });
  }

  #defaultCount(): number {
    return CA_V413(this.#circuit?.serverMinorVersion ?? 0) ? 0 : this.#nativeCount;
  }

  #request(options: OperationOptions, started: number, expectsReading: boolean, ioid: number, frame: Buffer): Promise<CaReading | undefined> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    const circuit = this.#circuit!;
    const request = new PendingRequest({
      ioid,
      owner: this.#requestOwner,
      channelName: this.name,
      expectsReading,
      timeoutMs: (options.timeoutMs ?? this.#host.defaultTimeoutMs) - (performance.now() - started),
      signal: options.signal,
    });
    this.#operations.add(request);
    circuit.track(request);
    circuit.send(frame);
    return request.promise;
  }

  #failOperations(error: Error): void {
    for (const operation of [...this.#operations]) operation.fail(error);
  }

  #closedError(): CaStatusError {
    return new CaStatusError(ECA_CHANDESTROY, this.name);
  }
}

/** a synchronous throw as a rejection, so that callers see one kind of failure */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}
