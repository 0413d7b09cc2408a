/**
 * The soft IOC: a PV database served over Channel Access, with simulated dynamics and the control
 * hooks tests use to break and steer it (spec §5.4). The same hooks are offered as JSON commands
 * (`control`), which `burrow soft-ioc --control stdin` reads one per line.
 */
import { CaStatusError } from '../ca/codec.ts';
import { alarmSeverityFromName, alarmStatusFromName } from '../ca/constants.ts';
import { CaServer, type CaServerOptions, type CaServerStats } from '../ca/server/index.ts';
import { PvDatabase } from './database.ts';
import { parsePvDefinition, type PvDefinition } from './definition.ts';
import type { SoftPv } from './pv.ts';
import { Simulation } from './simulation.ts';

export interface SoftIocOptions extends Omit<CaServerOptions, 'provider'> {
  definitions?: readonly PvDefinition[];
  /** multiplies every simulation rate (0 stops the timed simulations) */
  simRateScale?: number;
}

export interface SoftIocStats extends CaServerStats {
  pvs: number;
  /** monitor updates per second since the previous stats call (or the start) */
  events_per_s: number;
}

export class SoftIoc {
  readonly database = new PvDatabase();
  readonly server: CaServer;
  readonly simulation: Simulation;
  #freezeTimer: NodeJS.Timeout | undefined;
  #lastStats = { at: performance.now(), events: 0 };

  /** Builds the database; throws on a duplicate name or an initial value that does not fit its type. */
  constructor(options: SoftIocOptions = {}) {
    for (const definition of options.definitions ?? []) this.database.add(definition);
    this.server = new CaServer({ ...options, provider: this.database });
    this.simulation = new Simulation(this.database, { rateScale: options.simRateScale });
  }

  get port(): number {
    return this.server.port;
  }

  /** Opens the sockets and starts the simulations. */
  async start(): Promise<void> {
    this.simulation.start();
    await this.server.start();
  }

  /** Closes the sockets (the hook `stop`); PVs keep their values and `start` serves them again. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** The hook `restart`: same port, beacon id back to 0. */
  async restart(): Promise<void> {
    await this.server.restart();
  }

  /** Stops everything, for shutting down. */
  async close(): Promise<void> {
    clearTimeout(this.#freezeTimer);
    this.simulation.stop();
    await this.server.stop();
  }

  /** The hook `drop`: destroys every TCP circuit; returns how many. */
  drop(): number {
    return this.server.dropCircuits();
  }

  /** The hook `freeze {ms}`: answers nothing on UDP or TCP for `ms`. */
  freeze(ms: number): void {
    clearTimeout(this.#freezeTimer);
    this.server.setFrozen(true);
    this.#freezeTimer = setTimeout(() => this.server.setFrozen(false), ms);
  }

  /** The hook `set {name, value}`; throws for an unknown PV or a value its type cannot hold. */
  set(name: string, value: unknown): void {
    this.#pv(name).set(value);
  }

  /** The hook `alarm {name, status, severity}`; names ('HIHI', 'MAJOR') or numbers. */
  alarm(name: string, status: string | number, severity: string | number): void {
    const statusNumber = typeof status === 'number' ? status : alarmStatusFromName(status);
    const severityNumber = typeof severity === 'number' ? severity : alarmSeverityFromName(severity);
    if (statusNumber === undefined || !(statusNumber >= 0 && statusNumber <= 21)) throw new Error(`unknown alarm status ${JSON.stringify(status)}`);
    if (severityNumber === undefined || !(severityNumber >= 0 && severityNumber <= 3)) throw new Error(`unknown alarm severity ${JSON.stringify(severity)}`);
    this.#pv(name).injectAlarm(statusNumber, severityNumber);
  }

  /** The hook `access {name, read, write}`: connected clients get ACCESS_RIGHTS. */
  access(name: string, rights: { read?: boolean; write?: boolean }): void {
    const pv = this.#pv(name);
    pv.setAccess({ read: rights.read ?? pv.access.read, write: rights.write ?? pv.access.write });
  }

  /** The hook `add {pv}`. */
  add(definition: unknown): SoftPv {
    const pv = this.database.add(parsePvDefinition(definition, 'add'));
    this.simulation.track(pv);
    return pv;
  }

  /** The hook `remove {name}`: connected clients get SERVER_DISCONN. */
  remove(name: string): void {
    this.#pv(name);
    this.database.remove(name);
  }

  stats(): SoftIocStats {
    const server = this.server.stats();
    const now = performance.now();
    const seconds = (now - this.#lastStats.at) / 1000;
    const eventsPerSecond = seconds > 0 ? (server.eventsSent - this.#lastStats.events) / seconds : 0;
    this.#lastStats = { at: now, events: server.eventsSent };
    return { ...server, pvs: this.database.size, events_per_s: Math.round(eventsPerSecond * 10) / 10 };
  }

  /**
   * Runs one control command, `{"cmd": "set", "name": "X", "value": 1}` and so on, and answers
   * `{"ok": true, …}` or `{"ok": false, "error": "…"}`. An `id` in the command is echoed.
   */
  async control(command: unknown): Promise<Record<string, unknown>> {
    const request = (typeof command === 'object' && command !== null ? command : {}) as Record<string, unknown>;
    const echo = request.id === undefined ? {} : { id: request.id };
    try {
      return { ok: true, ...echo, ...(await this.#run(request)) };
    } catch (err) {
      const error = err instanceof CaStatusError || err instanceof Error ? err.message : String(err);
      return { ok: false, ...echo, error };
    }
  }

  async #run(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = (): string => {
      if (typeof request.name !== 'string') throw new Error('"name" is required');
      return request.name;
    };
    switch (request.cmd) {
      case 'drop':
        return { dropped: this.drop() };
      case 'stop':
        await this.stop();
        return {};
      case 'start':
        await this.server.start();
        return { port: this.port };
      case 'restart':
        await this.restart();
        return { port: this.port };
      case 'freeze': {
        const ms = request.ms;
        if (typeof ms !== 'number' || !(ms >= 0)) throw new Error('"ms" must be a number of milliseconds');
        this.freeze(ms);
        return {};
      }
      case 'set':
        this.set(name(), request.value);
        return {};
      case 'alarm':
        this.alarm(name(), request.status as string | number, request.severity as string | number);
        return {};
      case 'access':
        this.access(name(), { read: request.read as boolean | undefined, write: request.write as boolean | undefined });
        return {};
      case 'remove':
        this.remove(name());
        return {};
      case 'add':
        return { name: this.add(request.pv).name };
      case 'get': {
        const pv = this.#pv(name());
        const value = pv.value;
        return { value: pv.maxCount === 1 ? value[0] : value, status: pv.alarm.status, severity: pv.alarm.severity };
      }
      case 'stats':
        return { stats: this.stats() };
      default:
        throw new Error(`unknown command ${JSON.stringify(request.cmd)} (drop, stop, start, restart, freeze, set, get, alarm, access, remove, add, stats)`);
    }
  }

  #pv(name: string): SoftPv {
    const pv = this.database.get(name);
    if (!pv) throw new Error(`no PV named ${name}`);
    return pv;
  }
}
