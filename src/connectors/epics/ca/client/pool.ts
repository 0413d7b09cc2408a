import type { Channel } from './channel.ts';
import type { Context } from './context.ts';

/**
 * Shares one channel per PV name among its users (monitors, bulk reads, restores), so a name already
 * open in the process is never searched again. A channel closes when its last user releases it.
 */
export class ChannelPool {
  readonly #context: Context;
  readonly #entries = new Map<string, { channel: Channel; users: number }>();

  constructor(context: Context) {
    this.#context = context;
  }

  /** the open channel for `name`, or a new one; balance every call with `release(name)` */
  acquire(name: string): Channel {
    let entry = this.#entries.get(name);
    if (!entry || entry.channel.state === 'closed') {
      entry = { channel: this.#context.channel(name), users: 0 };
      this.#entries.set(name, entry);
    }
    entry.users++;
    return entry.channel;
  }

  release(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    entry.users--;
    if (entry.users > 0) return;
    this.#entries.delete(name);
    entry.channel.close();
  }

  closeAll(): void {
    for (const { channel } of this.#entries.values()) channel.close();
    this.#entries.clear();
  }
}
