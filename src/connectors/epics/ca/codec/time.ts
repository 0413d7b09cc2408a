/**
 * EPICS time stamps ⇄ JavaScript time. EPICS counts seconds from 1990-01-01 UTC (Unix seconds minus
 * 631,152,000) plus nanoseconds; a stamp of 0/0 means "never set" and maps to null.
 */
import { POSIX_TIME_AT_EPICS_EPOCH } from '../constants.ts';
import type { EpicsTimeStamp } from './dbr.ts';

const NANOS_PER_SECOND = 1_000_000_000;

/** Unix time with nanosecond resolution. */
export interface UnixTime {
  seconds: number;
  nanoseconds: number;
}

export function isUnsetStamp(stamp: EpicsTimeStamp): boolean {
  return stamp.secPastEpoch === 0 && stamp.nsec === 0;
}

/** Unix seconds and nanoseconds of a stamp; null for 0/0. */
export function epicsStampToUnix(stamp: EpicsTimeStamp): UnixTime | null {
  if (isUnsetStamp(stamp)) return null;
  return { seconds: stamp.secPastEpoch + POSIX_TIME_AT_EPICS_EPOCH, nanoseconds: stamp.nsec };
}

/** The stamp for a Unix time; throws RangeError before 1990 or past the u32 seconds range (2126). */
export function unixToEpicsStamp(seconds: number, nanoseconds = 0): EpicsTimeStamp {
  const whole = Math.floor(seconds);
  let nsec = Math.round((seconds - whole) * NANOS_PER_SECOND) + Math.round(nanoseconds);
  const secPastEpoch = whole - POSIX_TIME_AT_EPICS_EPOCH + Math.floor(nsec / NANOS_PER_SECOND);
  nsec = ((nsec % NANOS_PER_SECOND) + NANOS_PER_SECOND) % NANOS_PER_SECOND;
  if (!(secPastEpoch >= 0 && secPastEpoch <= 0xffffffff)) throw new RangeError(`Unix time ${seconds} is outside the EPICS time range`);
  return { secPastEpoch, nsec };
}

/** Fractional Unix seconds (what pyepics reports as `timestamp`); null for 0/0. */
export function epicsStampToSeconds(stamp: EpicsTimeStamp): number | null {
  return isUnsetStamp(stamp) ? null : stamp.secPastEpoch + POSIX_TIME_AT_EPICS_EPOCH + stamp.nsec / NANOS_PER_SECOND;
}

/** A Date (millisecond precision); null for 0/0. */
export function epicsStampToDate(stamp: EpicsTimeStamp): Date | null {
  if (isUnsetStamp(stamp)) return null;
  return new Date((stamp.secPastEpoch + POSIX_TIME_AT_EPICS_EPOCH) * 1000 + Math.floor(stamp.nsec / 1_000_000));
}

export function dateToEpicsStamp(date: Date): EpicsTimeStamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return unixToEpicsStamp(seconds, (ms - seconds * 1000) * 1_000_000);
}

/** ISO 8601 in UTC with all nine nanosecond digits, e.g. '2025-01-02T03:04:05.123456789Z'; null for 0/0. */
export function epicsStampToIso(stamp: EpicsTimeStamp): string | null {
  const date = epicsStampToDate(stamp);
  if (!date) return null;
  return `${date.toISOString().slice(0, 19)}.${String(stamp.nsec).padStart(9, '0')}Z`;
}

/** The current time as a stamp, with the sub-millisecond part the platform clock offers. */
export function epicsStampNow(): EpicsTimeStamp {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return unixToEpicsStamp(seconds, Math.min(NANOS_PER_SECOND - 1, Math.round((ms - seconds * 1000) * 1_000_000)));
}
