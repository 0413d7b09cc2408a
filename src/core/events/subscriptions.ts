import type { BusHandler, BusMessage } from './types.ts';

interface Subscription {
  /** subscription order: handlers run in it whichever pattern matched */
  readonly order: number;
  readonly handler: BusHandler;
}

/** Called for each handler that throws, or whose returned promise rejects. */
export type HandlerErrorReporter = (error: unknown, message: BusMessage) => void;

/**
 * The local subscriptions of one bus. Exact topics sit in a map (one lookup per publish); `prefix*`
 * patterns are few per process, so they are scanned.
 */
export class SubscriptionRegistry {
  readonly #exact = new Map<string, Set<Subscription>>();
  readonly #prefixed = new Map<string, Set<Subscription>>();
  #subscribed = 0;

  add(pattern: string, handler: BusHandler): () => void {
    const wildcard = pattern.indexOf('*');
    if (pattern === '' || (wildcard !== -1 && wildcard !== pattern.length - 1)) {
      throw new TypeError(`invalid subscription pattern ${JSON.stringify(pattern)}: '*' may only end it`);
    }
    const [index, key] = wildcard === -1 ? [this.#exact, pattern] : [this.#prefixed, pattern.slice(0, -1)];
    // an object per subscription, so the same handler subscribed twice is removed one at a time
    const subscription: Subscription = { order: this.#subscribed++, handler };
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(subscription);
    return () => {
      const current = index.get(key);
      if (!current?.delete(subscription)) return;
      if (current.size === 0) index.delete(key);
    };
  }

  /**
   * Calls every matching handler synchronously, isolating each from the others' failures.
   * Returns how many handlers were called.
   */
  dispatch(message: BusMessage, reportError: HandlerErrorReporter): number {
    const targets = this.#matching(message.topic);
    for (const { handler } of targets) {
      try {
        const result: unknown = handler(message);
        // an async handler's rejection would otherwise be an unhandled rejection, which ends the process
        if (isPromiseLike(result)) result.then(undefined, (error: unknown) => reportError(error, message));
      } catch (error) {
        reportError(error, message);
      }
    }
    return targets.length;
  }

  clear(): void {
    this.#exact.clear();
    this.#prefixed.clear();
  }

  /** a snapshot, so handlers may subscribe or unsubscribe while being called */
  #matching(topic: string): Subscription[] {
    const targets = [...(this.#exact.get(topic) ?? [])];
    let merged = false;
    for (const [prefix, set] of this.#prefixed) {
      if (!topic.startsWith(prefix)) continue;
      merged ||= targets.length > 0;
      targets.push(...set);
    }
    if (merged) targets.sort((a, b) => a.order - b.order);
    return targets;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
