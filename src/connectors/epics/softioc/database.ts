/**
 * The soft IOC's PV database: the CA server's PV provider. `NAME.VAL` resolves to `NAME`, as a
 * record's VAL field does in an IOC.
 */
import type { CaPvListener, CaPvProvider } from '../ca/server/types.ts';
import { CaStatusError } from '../ca/codec.ts';
import { PvDefinitionError, type PvDefinition } from './definition.ts';
import { SoftPv, type SoftPvHooks } from './pv.ts';

export class PvDatabase implements CaPvProvider {
  readonly #pvs = new Map<string, SoftPv>();
  readonly #listeners = new Set<CaPvListener>();
  readonly #hooks: SoftPvHooks = {
    changed: (pv, mask) => {
      for (const listener of this.#listeners) listener.changed(pv, mask);
    },
    accessChanged: (pv) => {
      for (const listener of this.#listeners) listener.accessChanged(pv);
    },
  };

  get size(): number {
    return this.#pvs.size;
  }

  /** Adds a PV; throws when the name is taken or the initial value does not fit the type. */
  add(definition: PvDefinition): SoftPv {
    if (this.#pvs.has(definition.name)) throw new PvDefinitionError(`PV ${definition.name} already exists`);
    let pv: SoftPv;
    try {
      pv = new SoftPv(definition, this.#hooks);
    } catch (err) {
      if (err instanceof CaStatusError) throw new PvDefinitionError(`PV ${definition.name}: the initial value does not fit: ${err.message}`);
      throw err;
    }
    this.#pvs.set(pv.name, pv);
    return pv;
  }

  /** Removes a PV; connected clients get SERVER_DISCONN. Returns false for an unknown name. */
  remove(name: string): boolean {
    const pv = this.#pvs.get(name);
    if (!pv) return false;
    this.#pvs.delete(name);
    for (const listener of this.#listeners) listener.removed(pv);
    return true;
  }

  get(name: string): SoftPv | undefined {
    return this.#pvs.get(name) ?? (name.endsWith('.VAL') ? this.#pvs.get(name.slice(0, -4)) : undefined);
  }

  find(name: string): SoftPv | undefined {
    return this.get(name);
  }

  /** every PV name, in the order they were added */
  names(): string[] {
    return [...this.#pvs.keys()];
  }

  pvs(): IterableIterator<SoftPv> {
    return this.#pvs.values();
  }

  listen(listener: CaPvListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
