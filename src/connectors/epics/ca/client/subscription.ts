import { CaStatusError, eventAddRequest, eventCancelRequest, type CaMessage } from '../codec.ts';
import { ECA_NORMAL } from '../constants.ts';
import type { Circuit, CircuitSubscription } from './circuit.ts';
import type { CaLogger } from './config.ts';
import { readingOf, resolveDbrType, type CaReading, type DbrRequest } from './values.ts';

export type SubscriptionListener = (reading: CaReading) => void;

export interface SubscriptionSettings {
  subscriptionId: number;
  channelName: string;
  type: DbrRequest;
  count: number | undefined;
  mask: number;
  listener: SubscriptionListener;
  onError: ((error: Error) => void) | undefined;
  logger: CaLogger;
  onCancel(subscription: Subscription): void;
}

interface ActiveRequest {
  circuit: Circuit;
  sid: number;
  dataType: number;
  dataCount: number;
}

/**
 * A monitor (EVENT_ADD) on a channel. It survives disconnections: each time its channel connects, it
 * is sent again with the same type, count and mask, the type re-resolved against the native type.
 */
export class Subscription implements CircuitSubscription {
  readonly subscriptionId: number;
  readonly mask: number;
  readonly #settings: SubscriptionSettings;
  #active: ActiveRequest | undefined;
  #cancelled = false;

  constructor(settings: SubscriptionSettings) {
    this.#settings = settings;
    this.subscriptionId = settings.subscriptionId;
    this.mask = settings.mask;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** sends the EVENT_ADD on a freshly connected channel */
  attach(circuit: Circuit, channel: { sid: number; nativeType: number; defaultCount: number }): void {
    if (this.#cancelled) return;
    let dataType: number;
    try {
      dataType = resolveDbrType(this.#settings.type, channel.nativeType);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const dataCount = this.#settings.count ?? channel.defaultCount;
    this.#active = { circuit, sid: channel.sid, dataType, dataCount };
    circuit.addSubscription(this);
    circuit.send(eventAddRequest({ dataType, dataCount, sid: channel.sid, subscriptionId: this.subscriptionId, mask: this.mask }));
  }

  /** the channel lost its circuit or was closed: nothing to cancel on the server */
  detach(): void {
    this.#active?.circuit.removeSubscription(this.subscriptionId);
    this.#active = undefined;
  }

  update(message: CaMessage): void {
    if (message.p1 !== ECA_NORMAL) {
      this.fail(new CaStatusError(message.p1, this.#settings.channelName));
      return;
    }
    const reading = readingOf(message);
    try {
      this.#settings.listener(reading);
    } catch (err) {
      this.#settings.logger.warn(`${this.#settings.channelName}: subscription listener threw: ${(err as Error).message}`);
    }
  }

  fail(error: Error): void {
    const onError = this.#settings.onError;
    if (onError) onError(error);
    else this.#settings.logger.warn(`${this.#settings.channelName}: subscription failed: ${error.message}`);
  }

  /** EVENT_CANCEL; no further updates are delivered */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    const active = this.#active;
    this.detach();
    if (active && !active.circuit.closed) {
      active.circuit.send(
        eventCancelRequest({ dataType: active.dataType, dataCount: active.dataCount, sid: active.sid, subscriptionId: this.subscriptionId }),
      );
    }
    this.#settings.onCancel(this);
  }
}
