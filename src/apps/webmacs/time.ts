/*
 * Times are integer microseconds since the Unix epoch, UTC (spec §2.1). REST renders them with `Z`;
 * WebSocket messages, webhook payloads and CSV with `+00:00` (upstream isoformat(), D33). Both show six
 * fraction digits when the fraction is non-zero and none when it is zero.
 */
import { utcSeconds } from '../../core/time.ts';

const MICROS_PER_MS = 1000;
const MICROS_PER_SECOND = 1_000_000;

/** Now, in microseconds. Sub-millisecond digits come from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * MICROS_PER_MS);
}

function render(micros: number, suffix: string): string {
  const millis = Math.floor(micros / MICROS_PER_MS);
  const fraction = ((micros % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND;
  const whole = utcSeconds(millis);
  return fraction === 0 ? `${whole}${suffix}` : `${whole}.${String(fraction).padStart(6, '0')}${suffix}`;
}

/** `2025-01-15T14:30:00.123456Z` / `2025-01-01T00:00:00Z` — the REST format. */
export function isoZ(micros: number): string {
  return render(micros, 'Z');
}

/** `2025-01-15T14:30:00.123456+00:00` — the WebSocket, webhook and CSV format. */
export function isoOffset(micros: number): string {
  return render(micros, '+00:00');
}

export function isoZOrNull(micros: number | null | undefined): string | null {
  return micros === null || micros === undefined ? null : isoZ(Number(micros));
}

const INPUT_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an input datetime (ISO-8601 with `Z` or an offset; a value without either is UTC, as upstream
 * takes naive datetimes) into microseconds. undefined when it is not a valid datetime.
 */
export function parseInputDatetime(value: string): number | undefined {
  const m = INPUT_DATETIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March; a rolled date is not the one the client wrote.
  if (new Date(millis).getUTCDate() !== day) return undefined;
  const micros = millis * MICROS_PER_MS + Number(frac.slice(0, 6).padEnd(6, '0'));
  return micros - offsetMinutes(zone) * 60 * MICROS_PER_SECOND;
}

function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}
