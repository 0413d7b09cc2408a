import { epicsStampToSeconds, type EpicsTimeStamp } from '../../../connectors/epics/ca/codec.ts';
import { alarmStatusName } from '../../../connectors/epics/ca/constants.ts';
import type { PvReading } from '../../../connectors/epics/index.ts';
import { utcSeconds } from '../../../core/time.ts';
import { jsonSafeValue, type CacheEntry } from './entry.ts';

/** One side (setpoint or readback) of a snapshot value, as stored and served (spec §3.1 EPICS value). */
export interface EpicsValue {
  value: unknown;
  status: number;
  severity: number;
  timestamp: string | null;
  units: string | null;
  precision: number | null;
  upper_ctrl_limit: number | null;
  lower_ctrl_limit: number | null;
  enum_strs?: string[];
  connected: boolean;
}

/** EPICS value times: ISO-8601 UTC with microseconds (spec §2 Timestamps). */
export function isoMicros(unixSeconds: number | null | undefined): string | null {
  if (unixSeconds === null || unixSeconds === undefined) return null;
  const whole = Math.floor(unixSeconds);
  const micros = Math.min(999_999, Math.round((unixSeconds - whole) * 1e6));
  return `${utcSeconds(whole * 1000)}.${String(micros).padStart(6, '0')}Z`;
}

function stampSeconds(stamp: EpicsTimeStamp | null): number | null {
  return stamp ? epicsStampToSeconds(stamp) : null;
}

export function cacheEntryFromReading(reading: PvReading, at = Date.now()): CacheEntry {
  const entry: CacheEntry = {
    value: jsonSafeValue(reading.value),
    connected: true,
    updated_at: at / 1000,
    status: alarmStatusName(reading.status),
    status_code: reading.status,
    severity: reading.severity,
  };
  const timestamp = stampSeconds(reading.stamp);
  if (timestamp !== null) entry.timestamp = timestamp;
  if (reading.units !== undefined) entry.units = reading.units;
  if (reading.precision !== undefined) entry.precision = reading.precision;
  if (reading.enumStrings !== undefined) entry.enum_strs = reading.enumStrings;
  return entry;
}

export function epicsValueFromReading(reading: PvReading): EpicsValue {
  return {
    value: jsonSafeValue(reading.value),
    status: reading.status,
    severity: reading.severity,
    timestamp: isoMicros(stampSeconds(reading.stamp)),
    units: reading.units ?? null,
    precision: reading.precision ?? null,
    upper_ctrl_limit: reading.limits?.upperCtrlLimit ?? null,
    lower_ctrl_limit: reading.limits?.lowerCtrlLimit ?? null,
    ...(reading.enumStrings ? { enum_strs: reading.enumStrings } : {}),
    connected: true,
  };
}

/** spec D14: a disconnected PV is stored as null, never as a stale value a restore might write */
export function epicsValueFromEntry(entry: CacheEntry): EpicsValue {
  if (!entry.connected) return disconnectedValue();
  return {
    value: entry.value,
    status: entry.status_code ?? 0,
    severity: entry.severity ?? 0,
    timestamp: isoMicros(entry.timestamp),
    units: entry.units ?? null,
    precision: entry.precision ?? null,
    upper_ctrl_limit: null,
    lower_ctrl_limit: null,
    ...(entry.enum_strs ? { enum_strs: entry.enum_strs } : {}),
    connected: true,
  };
}

export function disconnectedValue(): EpicsValue {
  return { value: null, status: 0, severity: 0, timestamp: null, units: null, precision: null, upper_ctrl_limit: null, lower_ctrl_limit: null, connected: false };
}
