/**
 * The EPICS facade the squirrel app uses (spec §5.1): addresses with their protocol, bulk reads and
 * writes with a bound on what is in flight, and monitors that survive reconnections. Only Channel
 * Access is spoken; `pva://` addresses are accepted and reported as unsupported (spec §5.5).
 */
import { CaStatusError, isUnsetStamp, type DbrLimits, type EpicsTimeStamp } from './ca/codec.ts';
import { mapBounded } from './ca/client/bulk.ts';
import { Context, type ContextOptions } from './ca/client/context.ts';
import type { Channel } from './ca/client/channel.ts';
import { ChannelPool } from './ca/client/pool.ts';
import type { CaReading, PutValue } from './ca/client/values.ts';
import { DBE_ALARM, DBE_VALUE, ECA_TIMEOUT } from './ca/constants.ts';

export type PvProtocol = 'ca' | 'pva';

export interface PvAddress {
  protocol: PvProtocol;
  /** the PV name without its scheme */
  name: string;
}

export const PVA_UNSUPPORTED_MESSAGE = 'pvAccess (pva://) is not supported by this server';

/** `ca://NAME` and bare `NAME` are Channel Access; `pva://NAME` is pvAccess; any other scheme is an error. */
export function parseAddress(address: string): PvAddress {
  const trimmed = address.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(trimmed);
  const protocol = scheme ? scheme[1]!.toLowerCase() : 'ca';
  if (protocol !== 'ca' && protocol !== 'pva') throw new Error(`unsupported address scheme '${scheme![1]}://' in ${JSON.stringify(address)}`);
  const name = scheme ? trimmed.slice(scheme[0].length) : trimmed;
  if (!name || /\s/.test(name)) throw new Error(`invalid PV address ${JSON.stringify(address)}`);
  return { protocol, name };
}

/** Display metadata from a DBR_CTRL read. */
export interface PvMetadata {
  units?: string;
  precision?: number;
  limits?: DbrLimits;
  enumStrings?: string[];
}

/** One value of a PV. `value` is a scalar for a PV whose native count is 1, else an array; an enum is its index. */
export interface PvReading extends PvMetadata {
  value: number | string | number[] | string[];
  count: number;
  /** DBF_* of the PV */
  nativeType: number;
  status: number;
  severity: number;
  /** null when the class carries no stamp or the server left it 0/0 */
  stamp: EpicsTimeStamp | null;
}

/** A failed read or write; `status` is the ECA status when the failure has one. */
export class EpicsError extends Error {
  override readonly name = 'EpicsError';
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export type PvFailure = { ok: false; error: string; /** ECA status, when the failure has one */ status?: number };
export type PvGetResult = { ok: true; reading: PvReading } | PvFailure;
export type PvPutResult = { ok: true } | PvFailure;

export interface BulkOptions {
  /** how long every channel may take to connect, measured once for the whole call (default 5 s) */
  connectTimeoutMs?: number;
  /** per operation (default 10 s) */
  timeoutMs?: number;
  /** operations in flight at once (default 1,000) */
  concurrency?: number;
  /** stops starting new operations; those already sent complete */
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

export interface GetManyOptions extends BulkOptions {
  /** 'time' (default) or 'plain' */
  type?: 'plain' | 'time';
  /** also read DBR_CTRL once per PV for units, precision, limits and enum labels */
  control?: boolean;
}

export interface MonitorHandlers {
  onValue(reading: PvReading): void;
  /** false with the reason on disconnect (and at once for pva://), true on each (re)connection */
  onConnection?(connected: boolean, reason?: string): void;
  /** the DBR_CTRL metadata read after each (re)connection; later values carry it too */
  onMetadata?(metadata: PvMetadata): void;
  onError?(error: Error): void;
}

export interface MonitorOptions {
  /** DBE_* bits (default VALUE | ALARM) */
  mask?: number;
  /** read DBR_CTRL on every (re)connection and attach it to each reading (default true) */
  control?: boolean;
}

export interface PvMonitor {
  close(): void;
}

/** The operations the app depends on; tests substitute their own implementation. */
export interface EpicsClient {
  getOne(address: string, options?: Omit<GetManyOptions, 'concurrency' | 'onProgress'>): Promise<PvReading>;
  getMany(addresses: readonly string[], options?: GetManyOptions): Promise<PvGetResult[]>;
  putMany(writes: readonly { address: string; value: PutValue }[], options?: BulkOptions): Promise<PvPutResult[]>;
  monitor(address: string, handlers: MonitorHandlers, options?: MonitorOptions): PvMonitor;
  close(): Promise<void>;
}

export interface EpicsServiceOptions extends ContextOptions {
  /** an existing context to use (it is then not closed by `close()`) */
  context?: Context;
}

const DEFAULTS = { connectTimeoutMs: 5000, timeoutMs: 10_000, concurrency: 1000 };

export class EpicsService implements EpicsClient {
  readonly context: Context;
  readonly #ownsContext: boolean;
  readonly #pool: ChannelPool;

  constructor(options: EpicsServiceOptions = {}) {
    this.context = options.context ?? new Context(options);
    this.#ownsContext = !options.context;
    this.#pool = new ChannelPool(this.context);
  }

  async getOne(address: string, options: Omit<GetManyOptions, 'concurrency' | 'onProgress'> = {}): Promise<PvReading> {
    const [result] = await this.getMany([address], options);
    if (!result!.ok) throw new EpicsError(result!.error, result!.status);
    return result!.reading;
  }

  async getMany(addresses: readonly string[], options: GetManyOptions = {}): Promise<PvGetResult[]> {
    const { timeoutMs, concurrency } = { ...DEFAULTS, ...options };
    const type = options.type ?? 'time';
    return this.#withChannels(addresses, options, concurrency, async (channel) => {
      const [reading, control] = await Promise.all([
        channel.get({ type, timeoutMs }),
        options.control ? channel.get({ type: 'ctrl', timeoutMs }) : undefined,
      ]);
      return { ok: true, reading: toPvReading(channel, reading, control) };
    });
  }

  async putMany(writes: readonly { address: string; value: PutValue }[], options: BulkOptions = {}): Promise<PvPutResult[]> {
    const { timeoutMs, concurrency } = { ...DEFAULTS, ...options };
    const values = writes.map((write) => write.value);
    return this.#withChannels(
      writes.map((write) => write.address),
      options,
      concurrency,
      async (channel, index) => {
        await channel.putCallback(values[index]!, { timeoutMs });
        return { ok: true };
      },
    );
  }

  monitor(address: string, handlers: MonitorHandlers, options: MonitorOptions = {}): PvMonitor {
    const parsed = parseAddress(address);
    if (parsed.protocol === 'pva') {
      handlers.onConnection?.(false, PVA_UNSUPPORTED_MESSAGE);
      return { close: () => {} };
    }
    const channel = this.#pool.acquire(parsed.name);
    let metadata: PvMetadata = {};
    let closed = false;
    const onConnect = () => {
      handlers.onConnection?.(true);
      if (options.control === false) return;
      channel.get({ type: 'ctrl' }).then(
        (control) => {
          if (closed) return;
          metadata = metadataOf(control);
          handlers.onMetadata?.(metadata);
        },
        (err: Error) => closed || handlers.onError?.(err),
      );
    };
    const onDisconnect = (reason: string) => handlers.onConnection?.(false, reason);
    channel.on('connect', onConnect);
    channel.on('disconnect', onDisconnect);
    // Object.assign on the fresh reading, not a spread into a third object: this runs for every monitor event
    const subscription = channel.subscribe((reading) => handlers.onValue(Object.assign(toPvReading(channel, reading), metadata)), {
      type: 'time',
      mask: options.mask ?? DBE_VALUE | DBE_ALARM,
      onError: (err) => handlers.onError?.(err),
    });
    if (channel.connected) onConnect();
    return {
      close: () => {
        if (closed) return;
        closed = true;
        subscription.cancel();
        channel.off('connect', onConnect);
        channel.off('disconnect', onDisconnect);
        this.#pool.release(parsed.name);
      },
    };
  }

  async close(): Promise<void> {
    this.#pool.closeAll();
    if (this.#ownsContext) await this.context.close();
  }

  /**
   * Opens (or reuses) a channel per address, waits for the connections against one deadline for the
   * whole call, so PVs that do not exist cost the connect timeout once, and runs `operation` with at
   * most `concurrency` in flight.
   */
  async #withChannels<R extends PvGetResult | PvPutResult>(
    addresses: readonly string[],
    options: BulkOptions,
    concurrency: number,
    operation: (channel: Channel, index: number) => Promise<R>,
  ): Promise<(R | PvFailure)[]> {
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const deadline = performance.now() + connectTimeoutMs;
    const leases = addresses.map((address): { name?: string; channel?: Channel; error?: string } => {
      try {
        const parsed = parseAddress(address);
        if (parsed.protocol === 'pva') return { error: PVA_UNSUPPORTED_MESSAGE };
        return { name: parsed.name, channel: this.#pool.acquire(parsed.name) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    });
    try {
      return await mapBounded<(typeof leases)[number], R | PvFailure>(
        leases,
        concurrency,
        async (lease, index): Promise<R | PvFailure> => {
          if (!lease.channel) return { ok: false, error: lease.error! };
          try {
            await lease.channel.waitConnected({ timeoutMs: Math.max(0, deadline - performance.now()) });
          } catch (err) {
            return failure(err, `Channel not found within ${connectTimeoutMs / 1000} s`);
          }
          try {
            return await operation(lease.channel, index);
          } catch (err) {
            return failure(err);
          }
        },
        {
          signal: options.signal,
          whenSkipped: () => ({ ok: false, error: 'cancelled before it was sent' }),
          onSettled: (done) => options.onProgress?.(done, addresses.length),
        },
      );
    } finally {
      for (const lease of leases) if (lease.name) this.#pool.release(lease.name);
    }
  }
}

function failure(err: unknown, timeoutText?: string): PvFailure {
  if (err instanceof CaStatusError) {
    return { ok: false, error: timeoutText && err.status === ECA_TIMEOUT ? timeoutText : err.message, status: err.status };
  }
  return { ok: false, error: (err as Error).message };
}

function metadataOf(reading: CaReading): PvMetadata {
  const metadata: PvMetadata = {};
  if (reading.units !== undefined) metadata.units = reading.units;
  if (reading.precision !== undefined) metadata.precision = reading.precision;
  if (reading.limits !== undefined) metadata.limits = reading.limits;
  if (reading.enumStrings !== undefined) metadata.enumStrings = reading.enumStrings;
  return metadata;
}

function toPvReading(channel: Channel, reading: CaReading, control?: CaReading): PvReading {
  const stamp = reading.stamp && !isUnsetStamp(reading.stamp) ? reading.stamp : null;
  return {
    value: channel.nativeCount === 1 && reading.value.length === 1 ? reading.value[0]! : reading.value,
    count: reading.count,
    nativeType: channel.nativeType,
    status: reading.status ?? 0,
    severity: reading.severity ?? 0,
    stamp,
    ...(control ? metadataOf(control) : {}),
  };
}
