/**
 * The soft IOC's PV definition: one entry of the JSON file's `pvs` array (spec §5.4), also what the
 * `add` control hook takes and what the `.db` loader and the generator produce. Field names are the
 * file format's (snake_case); `parsePvDefinition` validates untrusted input with messages that name
 * the PV and the field.
 */
import { alarmSeverityFromName, MAX_ENUM_STATES, MAX_ENUM_STRING_SIZE } from '../ca/constants.ts';

export type PvTypeName = 'double' | 'float' | 'long' | 'short' | 'char' | 'enum' | 'string';
const TYPE_NAMES: readonly PvTypeName[] = ['double', 'float', 'long', 'short', 'char', 'enum', 'string'];

export interface PvLimits {
  disp_high?: number;
  disp_low?: number;
  alarm_high?: number;
  warn_high?: number;
  warn_low?: number;
  alarm_low?: number;
  ctrl_high?: number;
  ctrl_low?: number;
  /** writes are clamped to drv_low..drv_high, as an ao record does */
  drv_high?: number;
  drv_low?: number;
}
const LIMIT_NAMES = ['disp_high', 'disp_low', 'alarm_high', 'warn_high', 'warn_low', 'alarm_low', 'ctrl_high', 'ctrl_low', 'drv_high', 'drv_low'] as const;

/** Alarm severity names per limit level: NO_ALARM, MINOR, MAJOR, INVALID. */
export interface AlarmSeverityConfig {
  HIHI?: string;
  HIGH?: string;
  LOW?: string;
  LOLO?: string;
}

export type SimSpec =
  | { kind: 'random_walk'; step: number; hz: number }
  | { kind: 'sine'; amplitude: number; period_s: number; hz: number; offset?: number }
  | { kind: 'counter'; hz: number }
  | { kind: 'none' };

/** A readback that follows another PV after `lag_ms`, plus uniform noise of ±`noise`. */
export interface FollowSpec {
  source: string;
  noise?: number;
  lag_ms?: number;
}

export interface PvDefinition {
  name: string;
  /** default 'double' */
  type?: PvTypeName;
  /** element count; above 1 the PV is an array (a waveform) */
  count?: number;
  value?: number | string | (number | string)[];
  units?: string;
  precision?: number;
  limits?: PvLimits;
  alarm_severities?: AlarmSeverityConfig;
  /** enum state labels, at most 16 of 25 characters */
  states?: string[];
  read_only?: boolean;
  sim?: SimSpec;
  follow?: FollowSpec;
  write_delay_ms?: number;
  reject_writes?: boolean;
  description?: string;
}

export class PvDefinitionError extends Error {
  override readonly name = 'PvDefinitionError';
}

function fail(where: string, message: string): never {
  throw new PvDefinitionError(`${where}: ${message}`);
}

const positive = { test: (n: number): boolean => Number.isFinite(n) && n > 0, what: 'a positive number' };
const nonNegative = { test: (n: number): boolean => Number.isFinite(n) && n >= 0, what: 'a number ≥ 0' };
const finite = { test: Number.isFinite, what: 'a finite number' };

function optionalNumber(where: string, field: string, value: unknown, rule: { test: (n: number) => boolean; what: string } = finite): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !rule.test(value)) fail(where, `${field} must be ${rule.what}, got ${JSON.stringify(value)}`);
  return value;
}

function optionalSeverity(where: string, field: string, value: unknown): string | undefined {
  const name = optionalString(where, field, value);
  if (name !== undefined && alarmSeverityFromName(name) === undefined) fail(where, `${field} must be NO_ALARM, MINOR, MAJOR or INVALID, got '${name}'`);
  return name;
}

function optionalString(where: string, field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(where, `${field} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalBoolean(where: string, field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(where, `${field} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function record(where: string, field: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `${field} must be an object`);
  return value as Record<string, unknown>;
}

function parseSim(where: string, raw: Record<string, unknown>): SimSpec {
  switch (raw.kind) {
    case 'none':
      return { kind: 'none' };
    case 'counter':
      return { kind: 'counter', hz: optionalNumber(where, 'sim.hz', raw.hz, positive) ?? 1 };
    case 'random_walk':
      return { kind: 'random_walk', step: optionalNumber(where, 'sim.step', raw.step) ?? 1, hz: optionalNumber(where, 'sim.hz', raw.hz, positive) ?? 1 };
    case 'sine':
      return {
        kind: 'sine',
        amplitude: optionalNumber(where, 'sim.amplitude', raw.amplitude) ?? 1,
        period_s: optionalNumber(where, 'sim.period_s', raw.period_s, positive) ?? 10,
        hz: optionalNumber(where, 'sim.hz', raw.hz, positive) ?? 1,
        offset: optionalNumber(where, 'sim.offset', raw.offset),
      };
    default:
      return fail(where, `sim.kind must be random_walk, sine, counter or none, got ${JSON.stringify(raw.kind)}`);
  }
}

/** Validates one PV entry (e.g. from a JSON file or a control command); throws PvDefinitionError. */
export function parsePvDefinition(raw: unknown, where = 'pv'): PvDefinition {
  const entry = record(where, 'pv', raw) ?? fail(where, 'a PV definition is required');
  const name = entry.name;
  if (typeof name !== 'string' || !/^[\x21-\x7e]+$/.test(name) || name.length > 500) fail(where, `name must be a non-empty printable string without spaces, got ${JSON.stringify(name)}`);
  const at = `${where} '${name}'`;
  const type = entry.type ?? 'double';
  if (typeof type !== 'string' || !(TYPE_NAMES as readonly string[]).includes(type)) fail(at, `type must be one of ${TYPE_NAMES.join(', ')}, got ${JSON.stringify(type)}`);
  const count = optionalNumber(at, 'count', entry.count, { test: (n) => Number.isInteger(n) && n >= 1 && n <= 4_000_000, what: 'an integer from 1 to 4,000,000' });
  const value = entry.value;
  const scalarOk = (v: unknown): boolean => typeof v === 'number' || typeof v === 'string';
  if (value !== undefined && !scalarOk(value) && !(Array.isArray(value) && value.every(scalarOk))) fail(at, 'value must be a number, a string or an array of them');
  if (Array.isArray(value) && value.length > (count ?? 1)) fail(at, `value has ${value.length} elements; count is ${count ?? 1}`);
  const limitsRaw = record(at, 'limits', entry.limits);
  const limits: PvLimits | undefined = limitsRaw && Object.fromEntries(LIMIT_NAMES.filter((k) => limitsRaw[k] !== undefined).map((k) => [k, optionalNumber(at, `limits.${k}`, limitsRaw[k])]));
  const unknownLimit = limitsRaw && Object.keys(limitsRaw).find((k) => !(LIMIT_NAMES as readonly string[]).includes(k));
  if (unknownLimit) fail(at, `unknown limit '${unknownLimit}' (known: ${LIMIT_NAMES.join(', ')})`);
  const severitiesRaw = record(at, 'alarm_severities', entry.alarm_severities);
  const states = entry.states;
  if (states !== undefined) {
    if (!Array.isArray(states) || !states.every((s) => typeof s === 'string')) fail(at, 'states must be an array of strings');
    if (states.length > MAX_ENUM_STATES) fail(at, `states has ${states.length} labels; at most ${MAX_ENUM_STATES}`);
    const long = states.find((s) => Buffer.byteLength(s) >= MAX_ENUM_STRING_SIZE);
    if (long !== undefined) fail(at, `state '${long}' is over ${MAX_ENUM_STRING_SIZE - 1} bytes`);
  }
  const simRaw = record(at, 'sim', entry.sim);
  const followRaw = record(at, 'follow', entry.follow);
  if (followRaw && typeof followRaw.source !== 'string') fail(at, 'follow.source must name a PV');
  return {
    name,
    type: type as PvTypeName,
    count,
    value: value as PvDefinition['value'],
    units: optionalString(at, 'units', entry.units),
    precision: optionalNumber(at, 'precision', entry.precision, { test: (n) => Number.isInteger(n) && n >= 0 && n <= 17, what: 'an integer from 0 to 17' }),
    limits,
    alarm_severities: severitiesRaw && {
      HIHI: optionalSeverity(at, 'alarm_severities.HIHI', severitiesRaw.HIHI),
      HIGH: optionalSeverity(at, 'alarm_severities.HIGH', severitiesRaw.HIGH),
      LOW: optionalSeverity(at, 'alarm_severities.LOW', severitiesRaw.LOW),
      LOLO: optionalSeverity(at, 'alarm_severities.LOLO', severitiesRaw.LOLO),
    },
    states: states as string[] | undefined,
    read_only: optionalBoolean(at, 'read_only', entry.read_only),
    sim: simRaw && parseSim(at, simRaw),
    follow: followRaw && {
      source: followRaw.source as string,
      noise: optionalNumber(at, 'follow.noise', followRaw.noise),
      lag_ms: optionalNumber(at, 'follow.lag_ms', followRaw.lag_ms, nonNegative),
    },
    write_delay_ms: optionalNumber(at, 'write_delay_ms', entry.write_delay_ms, nonNegative),
    reject_writes: optionalBoolean(at, 'reject_writes', entry.reject_writes),
    description: optionalString(at, 'description', entry.description),
  };
}
