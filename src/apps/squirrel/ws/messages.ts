import type { CacheEntry } from '../live/entry.ts';
import { isoMicros } from '../live/values.ts';

/**
 * The two WebSocket dialects (spec §3.8): `action` messages of the older documented dialect (A, snake_case,
 * ISO times) and `type` messages of upstream's code (T, camelCase lists, unix times and cache entries).
 */
export type Dialect = 'A' | 'T';

/** A-entry: `{pv_name, value, timestamp: ISO|null, status, severity, connected, units?, error?}` */
export function aEntry(name: string, entry: CacheEntry) {
  return {
    pv_name: name,
    value: entry.value,
    timestamp: isoMicros(entry.timestamp),
    status: entry.status_code ?? 0,
    severity: entry.severity ?? 0,
    connected: entry.connected,
    ...(entry.units !== undefined ? { units: entry.units } : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
  };
}

/** name → entry in the dialect's entry shape */
export function entriesIn(dialect: Dialect, entries: ReadonlyMap<string, CacheEntry>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of entries) out[name] = dialect === 'A' ? aEntry(name, entry) : entry;
  return out;
}

/**
 * One PV change on its way to the clients subscribed to it, shared by all of them: its JSON is written
 * once per dialect however many clients receive it (spec §4.5 fan-out), at the first flush that needs it.
 */
export class PendingUpdate {
  #a: string | undefined;
  #t: string | undefined;

  constructor(
    readonly name: string,
    readonly entry: CacheEntry,
  ) {}

  /** A: the A-entry object; T: the `"name":entry` member of a diff's `data` */
  json(dialect: Dialect): string {
    if (dialect === 'A') return (this.#a ??= JSON.stringify(aEntry(this.name, this.entry)));
    return (this.#t ??= `${JSON.stringify(this.name)}:${JSON.stringify(this.entry)}`);
  }
}

/** One window's coalesced changes as message text: A `update` (one PV) or `batch_update`, T `diff`. */
export function updatesText(dialect: Dialect, pending: ReadonlyMap<string, PendingUpdate>): string {
  const parts: string[] = [];
  for (const update of pending.values()) parts.push(update.json(dialect));
  if (dialect === 'T') return `{"type":"diff","data":{${parts.join(',')}},"count":${pending.size},"timestamp":${Date.now() / 1000}}`;
  if (pending.size === 1) return `{"type":"update",${parts[0]!.slice(1)}`;
  return `{"type":"batch_update","updates":[${parts.join(',')}]}`;
}

export function heartbeatMessage(dialect: Dialect, monitorBeat: number | null, monitorAlive: boolean): object {
  if (dialect === 'A') return { type: 'heartbeat', timestamp: new Date().toISOString(), monitor_alive: monitorAlive };
  return { type: 'heartbeat', timestamp: Date.now() / 1000, monitor_heartbeat: monitorBeat, monitor_alive: monitorAlive };
}

export function pongMessage(dialect: Dialect): object {
  return { type: 'pong', timestamp: dialect === 'A' ? new Date().toISOString() : Date.now() / 1000 };
}

export function subscriptionsMessage(dialect: Dialect, names: readonly string[]): object {
  return dialect === 'A' ? { type: 'subscriptions', pv_names: names } : { type: 'subscriptions', pvNames: names };
}

export function errorMessage(message: string): object {
  return { type: 'error', message };
}
