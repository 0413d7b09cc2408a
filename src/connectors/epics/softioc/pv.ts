/**
 * One soft IOC PV: its value in the native field type, time stamp, alarm, metadata and access
 * rights. Every change is reported to the database with the DBE mask it deserves, which the CA
 * server turns into monitor updates.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CaStatusError, convertValues, epicsStampNow, type AccessRights, type EpicsTimeStamp } from '../ca/codec.ts';
import {
  DBE_ALARM,
  DBE_LOG,
  DBE_PROPERTY,
  DBE_VALUE,
  DBF_DOUBLE,
  DBF_ENUM,
  DBF_STRING,
  ECA_BADCOUNT,
  ECA_BADTYPE,
  ECA_NORMAL,
  ECA_PUTFAIL,
  NO_ALARM,
  fieldTypeFromKeyword,
} from '../ca/constants.ts';
import type { CaServedPv, PvState } from '../ca/server/types.ts';
import { limitAlarm, resolveAlarmSeverities, type Alarm, type AlarmSeverities } from './alarms.ts';
import type { PvDefinition } from './definition.ts';

export interface SoftPvHooks {
  changed(pv: SoftPv, mask: number): void;
  accessChanged(pv: SoftPv): void;
}

/** a JS value (scalar or array of numbers or strings) as elements of one field type */
function toElements(value: unknown, fieldType: number, context: { precision?: number; enumStrings?: readonly string[] }): number[] | string[] {
  const elements = Array.isArray(value) ? value : [value];
  if (elements.every((e) => typeof e === 'string')) return convertValues(elements as string[], DBF_STRING, fieldType, context);
  if (elements.every((e) => typeof e === 'number')) return convertValues(elements as number[], DBF_DOUBLE, fieldType, context);
  if (elements.every((e) => typeof e === 'boolean')) return convertValues(elements.map(Number), DBF_DOUBLE, fieldType, context);
  throw new CaStatusError(ECA_BADTYPE, 'a value must be a number, a string, or an array of one of them');
}

function sameElements(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  return a.length === b.length && a.every((element, i) => Object.is(element, b[i]));
}

export class SoftPv implements CaServedPv {
  readonly name: string;
  readonly fieldType: number;
  readonly maxCount: number;
  readonly definition: PvDefinition;
  readonly #hooks: SoftPvHooks;
  readonly #severities: AlarmSeverities;
  #access: AccessRights;
  #value: number[] | string[];
  #stamp: EpicsTimeStamp;
  #alarm: Alarm = { status: NO_ALARM, severity: NO_ALARM };
  #injectedAlarm: Alarm | undefined;
  #state: PvState | undefined;

  /** throws CaStatusError when the initial value does not fit the type (e.g. text for a double) */
  constructor(definition: PvDefinition, hooks: SoftPvHooks) {
    this.definition = definition;
    this.name = definition.name;
    this.fieldType = fieldTypeFromKeyword(definition.type ?? 'double') ?? DBF_DOUBLE;
    this.maxCount = definition.count ?? 1;
    this.#hooks = hooks;
    this.#severities = resolveAlarmSeverities(definition.alarm_severities);
    this.#access = { read: true, write: !definition.read_only };
    const initial = definition.value ?? (this.fieldType === DBF_STRING ? '' : 0);
    const elements = toElements(initial, this.fieldType, this.#context());
    // a scalar initial value of an array PV fills it, as a waveform's NELM elements start out equal
    this.#value = !Array.isArray(initial) && this.maxCount > 1 ? (new Array(this.maxCount).fill(elements[0]) as number[] | string[]) : elements;
    this.#stamp = epicsStampNow();
    this.#alarm = this.#computeAlarm();
  }

  get access(): AccessRights {
    return this.#access;
  }

  get value(): readonly number[] | readonly string[] {
    return this.#value;
  }

  /** the first element as a number (NaN for text), what simulations and followers work with */
  get numericValue(): number {
    const first = this.#value[0];
    return typeof first === 'number' ? first : Number.NaN;
  }

  get alarm(): Alarm {
    return this.#alarm;
  }

  get enumStrings(): readonly string[] {
    return this.fieldType === DBF_ENUM ? (this.definition.states ?? []) : [];
  }

  state(): PvState {
    if (!this.#state) {
      const limits = this.definition.limits ?? {};
      this.#state = {
        value: this.#value,
        status: this.#alarm.status,
        severity: this.#alarm.severity,
        stamp: this.#stamp,
        units: this.definition.units ?? '',
        precision: this.definition.precision ?? 0,
        limits: {
          upperDispLimit: limits.disp_high ?? 0,
          lowerDispLimit: limits.disp_low ?? 0,
          upperAlarmLimit: limits.alarm_high ?? 0,
          upperWarningLimit: limits.warn_high ?? 0,
          lowerWarningLimit: limits.warn_low ?? 0,
          lowerAlarmLimit: limits.alarm_low ?? 0,
          upperCtrlLimit: limits.ctrl_high ?? limits.drv_high ?? 0,
          lowerCtrlLimit: limits.ctrl_low ?? limits.drv_low ?? 0,
        },
        enumStrings: this.enumStrings,
      };
    }
    return this.#state;
  }

  /** A client's write: delayed and refused as configured, converted, clamped to the drive limits. */
  async write(values: number[] | string[], fieldType: number): Promise<number> {
    if (this.definition.write_delay_ms) await delay(this.definition.write_delay_ms);
    if (this.definition.reject_writes) return ECA_PUTFAIL;
    try {
      this.#apply(convertValues(values, fieldType, this.fieldType, this.#context()), true);
    } catch (err) {
      if (err instanceof CaStatusError) return err.status;
      throw err;
    }
    return ECA_NORMAL;
  }

  /** The `set` hook: any JS value, regardless of access rights and write options; throws CaStatusError. */
  set(value: unknown): void {
    this.#apply(toElements(value, this.fieldType, this.#context()), false);
  }

  /** A simulation step: posts only when the value really changed. */
  simulate(value: number | readonly number[]): void {
    const elements = convertValues(Array.isArray(value) ? value : [value as number], DBF_DOUBLE, this.fieldType, this.#context());
    if (!sameElements(elements, this.#value)) this.#apply(elements, false);
  }

  /** The `alarm` hook: the alarm sticks until NO_ALARM/NO_ALARM is injected, which restores limit alarms. */
  injectAlarm(status: number, severity: number): void {
    this.#injectedAlarm = status === NO_ALARM && severity === NO_ALARM ? undefined : { status, severity };
    this.#stamp = epicsStampNow();
    if (this.#updateAlarm()) this.#hooks.changed(this, DBE_ALARM);
  }

  setAccess(access: AccessRights): void {
    this.#access = { ...access };
    this.#hooks.accessChanged(this);
  }

  /** metadata changed outside a write (e.g. limits); clients with DBE_PROPERTY hear of it */
  touchProperties(): void {
    this.#state = undefined;
    this.#hooks.changed(this, DBE_PROPERTY);
  }

  #context(): { precision?: number; enumStrings?: readonly string[] } {
    return { precision: this.definition.precision, enumStrings: this.enumStrings };
  }

  /** `clamp`: a client write, which an ao-style PV limits to its drive range */
  #apply(elements: number[] | string[], clamp: boolean): void {
    if (elements.length > this.maxCount || (elements.length === 0 && this.maxCount === 1)) {
      throw new CaStatusError(ECA_BADCOUNT, `${elements.length} elements for ${this.name} (count ${this.maxCount})`);
    }
    const limits = this.definition.limits;
    if (clamp && this.fieldType !== DBF_STRING && (limits?.drv_high !== undefined || limits?.drv_low !== undefined)) {
      const high = limits.drv_high ?? Infinity;
      const low = limits.drv_low ?? -Infinity;
      elements = (elements as number[]).map((v) => Math.min(high, Math.max(low, v)));
    }
    this.#value = elements;
    this.#stamp = epicsStampNow();
    const alarmChanged = this.#updateAlarm();
    this.#hooks.changed(this, DBE_VALUE | DBE_LOG | (alarmChanged ? DBE_ALARM : 0));
  }

  /** recomputes the alarm; true when it changed */
  #updateAlarm(): boolean {
    const next = this.#computeAlarm();
    const changed = next.status !== this.#alarm.status || next.severity !== this.#alarm.severity;
    this.#alarm = next;
    this.#state = undefined;
    return changed;
  }

  #computeAlarm(): Alarm {
    if (this.#injectedAlarm) return this.#injectedAlarm;
    if (this.fieldType === DBF_STRING || this.fieldType === DBF_ENUM) return { status: NO_ALARM, severity: NO_ALARM };
    return limitAlarm(this.numericValue, this.definition.limits, this.#severities);
  }
}
