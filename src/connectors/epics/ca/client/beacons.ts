export type BeaconAnomaly = 'new-server' | 'restarted' | 'missed-beacons';

/**
 * Watches server beacons (RSRV_IS_UP). A server not seen before, a beacon id that restarted, or a gap
 * in the ids means names that were not found may be answerable now, so the caller re-searches them.
 */
export class BeaconTracker {
  readonly #lastIds = new Map<string, number>();
  readonly #onAnomaly: (server: string, anomaly: BeaconAnomaly) => void;

  constructor(onAnomaly: (server: string, anomaly: BeaconAnomaly) => void) {
    this.#onAnomaly = onAnomaly;
  }

  /** `server` is `ip:port` of the server's TCP endpoint */
  observe(server: string, beaconId: number): void {
    const last = this.#lastIds.get(server);
    this.#lastIds.set(server, beaconId);
    // the same id twice is one beacon reaching us along two paths (several interfaces or repeaters)
    if (last === beaconId) return;
    if (last === undefined) this.#onAnomaly(server, 'new-server');
    else if (beaconId < last) this.#onAnomaly(server, 'restarted');
    else if (beaconId !== ((last + 1) >>> 0)) this.#onAnomaly(server, 'missed-beacons');
  }

  /** a server's circuit failed: its next beacon counts as coming from a new server */
  forget(server: string): void {
    this.#lastIds.delete(server);
  }
}
