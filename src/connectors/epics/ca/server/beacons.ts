/**
 * Server beacons (RSRV_IS_UP): sent at 20 ms after start, the interval doubling up to the configured
 * period, so that clients notice a new or restarted server quickly and a steady one rarely. The beacon
 * id counts up and starts again at 0 on every start, which clients read as a restart.
 */
import { beaconMessage } from '../codec.ts';

const FIRST_INTERVAL_MS = 20;

export interface BeaconOptions {
  /** 'host' or 'host:port' (EPICS_CAS_BEACON_ADDR_LIST entries) */
  addresses: readonly string[];
  /** the port for entries without one */
  port: number;
  serverPort(): number;
  /** IPv4 as a number, or 0 for "the repeater fills in the sender" */
  serverAddress: number;
  maxPeriodMs: number;
  send(datagram: Buffer, address: string, port: number): void;
}

export class BeaconSender {
  readonly #options: BeaconOptions;
  #timer: NodeJS.Timeout | undefined;
  #interval = FIRST_INTERVAL_MS;
  #nextId = 0;
  #paused = false;

  constructor(options: BeaconOptions) {
    this.#options = options;
  }

  get beaconsSent(): number {
    return this.#nextId;
  }

  start(): void {
    this.stop();
    this.#nextId = 0;
    this.#interval = FIRST_INTERVAL_MS;
    this.#schedule(0);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** while paused (a frozen server), the schedule runs on but nothing is sent */
  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      if (!this.#paused) this.#sendBeacon();
      const next = this.#interval;
      this.#interval = Math.min(this.#interval * 2, this.#options.maxPeriodMs);
      this.#schedule(next);
    }, delay);
    this.#timer.unref();
  }

  #sendBeacon(): void {
    const beacon = beaconMessage({ port: this.#options.serverPort(), beaconId: this.#nextId, serverAddress: this.#options.serverAddress });
    this.#nextId = (this.#nextId + 1) >>> 0;
    for (const entry of this.#options.addresses) {
      const [address, port] = entry.split(':');
      this.#options.send(beacon, address!, port ? Number(port) : this.#options.port);
    }
  }
}
