/**
 * A live cache entry (spec §3.1): upstream's shape with unix float seconds; null fields are left out.
 * `status` is the alarm status name, `status_code` its number (Addition).
 */
export interface CacheEntry {
  value: unknown;
  connected: boolean;
  updated_at: number;
  status?: string;
  status_code?: number;
  severity?: number;
  timestamp?: number;
  units?: string;
  precision?: number;
  enum_strs?: string[];
  error?: string;
}

export const DISCONNECTED_ERROR = 'Disconnected from IOC';
export const PVA_UNSUPPORTED = 'pvAccess (pva://) is not supported by this server';

export function disconnectedEntry(error = DISCONNECTED_ERROR, at = Date.now()): CacheEntry {
  return { value: null, connected: false, updated_at: at / 1000, error };
}

/** NaN and ±Inf have no JSON form; arrays keep their other elements (spec §3.1 Values). */
export function jsonSafeValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, (v) => jsonSafeValue(v));
  if (Array.isArray(value)) return value.map(jsonSafeValue);
  return value;
}
