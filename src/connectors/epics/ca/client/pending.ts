import { CaStatusError, type CaMessage } from '../codec.ts';
import { ECA_NORMAL, ECA_TIMEOUT } from '../constants.ts';
import type { CircuitOperation } from './circuit.ts';
import { readingOf, type CaReading } from './values.ts';

/*
 * Bulk work creates tens of thousands of these at once, so they are plain classes: timers and abort
 * listeners get the object itself (setTimeout's argument, EventTarget's handleEvent) rather than a
 * fresh closure each.
 */

export interface PendingOwner {
  release(request: PendingRequest): void;
}

/** A READ_NOTIFY (resolving with the reading) or WRITE_NOTIFY (resolving empty) awaiting its reply. */
export class PendingRequest implements CircuitOperation {
  readonly ioid: number;
  readonly promise: Promise<CaReading | undefined>;
  readonly #owner: PendingOwner;
  readonly #channelName: string;
  readonly #expectsReading: boolean;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  #resolve!: (value: CaReading | undefined) => void;
  #reject!: (error: Error) => void;
  #settled = false;

  constructor(options: {
    ioid: number;
    owner: PendingOwner;
    channelName: string;
    expectsReading: boolean;
    timeoutMs: number;
    signal: AbortSignal | undefined;
  }) {
    this.ioid = options.ioid;
    this.#owner = options.owner;
    this.#channelName = options.channelName;
    this.#expectsReading = options.expectsReading;
    this.#timeoutMs = options.timeoutMs;
    this.#signal = options.signal;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(requestTimedOut, Math.max(0, options.timeoutMs), this);
    this.#signal?.addEventListener('abort', this, { once: true });
  }

  complete(message: CaMessage): void {
    if (this.#settled) return;
    if (message.p1 !== ECA_NORMAL) throw new CaStatusError(message.p1, this.#channelName);
    const result = this.#expectsReading ? readingOf(message) : undefined;
    this.#settle();
    this.#resolve(result);
  }

  fail(error: Error): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  timeOut(): void {
    this.fail(new CaStatusError(ECA_TIMEOUT, `${this.#channelName}: no reply within ${Math.round(this.#timeoutMs / 100) / 10} s`));
  }

  /** the abort signal's listener */
  handleEvent(): void {
    this.fail(this.#signal!.reason as Error);
  }

  #settle(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this);
    this.#owner.release(this);
  }
}

function requestTimedOut(request: PendingRequest): void {
  request.timeOut();
}

/** A caller waiting for a channel to connect. */
export class ConnectionWaiter {
  readonly promise: Promise<void>;
  readonly #waiters: Set<ConnectionWaiter>;
  readonly #onTimeout: () => Error;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor(waiters: Set<ConnectionWaiter>, timeoutMs: number, onTimeout: () => Error, signal: AbortSignal | undefined) {
    this.#waiters = waiters;
    this.#onTimeout = onTimeout;
    this.#signal = signal;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(waiterTimedOut, Math.max(0, timeoutMs), this);
    signal?.addEventListener('abort', this, { once: true });
    waiters.add(this);
  }

  resolve(): void {
    this.#settle();
    this.#resolve();
  }

  reject(error: Error): void {
    this.#settle();
    this.#reject(error);
  }

  timeOut(): void {
    this.reject(this.#onTimeout());
  }

  handleEvent(): void {
    this.reject(this.#signal!.reason as Error);
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this);
    this.#waiters.delete(this);
  }
}

function waiterTimedOut(waiter: ConnectionWaiter): void {
  waiter.timeOut();
}
