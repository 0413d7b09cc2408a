/**
 * Simulated dynamics: random walks, sines and counters stepped at their rate (PVs of one rate share a
 * timer), and readbacks that follow a setpoint after a lag with a little noise.
 */
import { DBE_VALUE } from '../ca/constants.ts';
import { castToFieldType } from '../ca/codec.ts';
import type { PvDatabase } from './database.ts';
import type { SimSpec } from './definition.ts';
import type { SoftPv } from './pv.ts';

export interface SimulationOptions {
  /** multiplies every rate; 0 stops the timed simulations (followers still follow) */
  rateScale?: number;
  random?: () => number;
}

type ActiveSim = Exclude<SimSpec, { kind: 'none' }>;

export class Simulation {
  readonly #database: PvDatabase;
  readonly #rateScale: number;
  readonly #random: () => number;
  readonly #groups = new Map<number, { timer: NodeJS.Timeout; pvs: Set<SoftPv> }>();
  readonly #followers = new Map<string, Set<SoftPv>>();
  readonly #startedAt = performance.now();
  #unlisten: (() => void) | undefined;

  constructor(database: PvDatabase, options: SimulationOptions = {}) {
    this.#database = database;
    this.#rateScale = options.rateScale ?? 1;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    if (this.#unlisten) return;
    this.#unlisten = this.#database.listen({
      changed: (pv, mask) => {
        if (mask & DBE_VALUE) this.#sourceChanged(pv as SoftPv);
      },
      accessChanged: () => {},
      removed: (pv) => this.untrack(pv as SoftPv),
    });
    for (const pv of this.#database.pvs()) this.track(pv);
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const group of this.#groups.values()) clearInterval(group.timer);
    this.#groups.clear();
    this.#followers.clear();
  }

  /** starts simulating a PV (called for PVs added after start) */
  track(pv: SoftPv): void {
    const { sim, follow } = pv.definition;
    if (follow) {
      let followers = this.#followers.get(follow.source);
      if (!followers) this.#followers.set(follow.source, (followers = new Set()));
      followers.add(pv);
      const source = this.#database.get(follow.source);
      if (source) this.#follow(pv, source);
    }
    if (sim && sim.kind !== 'none' && this.#rateScale > 0) {
      const intervalMs = Math.max(1, Math.round(1000 / (sim.hz * this.#rateScale)));
      let group = this.#groups.get(intervalMs);
      if (!group) {
        const pvs = new Set<SoftPv>();
        const timer = setInterval(() => this.#step(pvs), intervalMs);
        this.#groups.set(intervalMs, (group = { timer, pvs }));
      }
      group.pvs.add(pv);
    }
  }

  untrack(pv: SoftPv): void {
    for (const [intervalMs, group] of this.#groups) {
      if (group.pvs.delete(pv) && group.pvs.size === 0) {
        clearInterval(group.timer);
        this.#groups.delete(intervalMs);
      }
    }
    const source = pv.definition.follow?.source;
    if (source) this.#followers.get(source)?.delete(pv);
  }

  #step(pvs: Set<SoftPv>): void {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    for (const pv of pvs) {
      const next = this.#next(pv, pv.definition.sim as ActiveSim, seconds);
      if (next !== undefined) pv.simulate(next);
    }
  }

  #next(pv: SoftPv, sim: ActiveSim, seconds: number): number | number[] | undefined {
    const current = pv.numericValue;
    if (Number.isNaN(current)) return undefined;
    switch (sim.kind) {
      case 'random_walk': {
        const limits = pv.definition.limits;
        const high = limits?.disp_high ?? Infinity;
        const low = limits?.disp_low ?? -Infinity;
        return Math.min(high, Math.max(low, current + (this.#random() * 2 - 1) * sim.step));
      }
      case 'sine': {
        const phase = (2 * Math.PI * seconds) / sim.period_s;
        const offset = sim.offset ?? 0;
        if (pv.maxCount === 1) return offset + sim.amplitude * Math.sin(phase);
        return Array.from({ length: pv.maxCount }, (_, i) => offset + sim.amplitude * Math.sin(phase + (2 * Math.PI * i) / pv.maxCount));
      }
      case 'counter': {
        const next = current + 1;
        return castToFieldType(next, pv.fieldType) === next ? next : 0;
      }
    }
  }

  #sourceChanged(source: SoftPv): void {
    const followers = this.#followers.get(source.name);
    if (!followers) return;
    for (const follower of followers) {
      setTimeout(() => this.#follow(follower, source), follower.definition.follow?.lag_ms ?? 0);
    }
  }

  #follow(follower: SoftPv, source: SoftPv): void {
    const value = source.numericValue;
    if (Number.isNaN(value) || this.#database.get(follower.name) !== follower) return;
    const noise = follower.definition.follow?.noise ?? 0;
    follower.simulate(value + (this.#random() * 2 - 1) * noise);
  }
}
