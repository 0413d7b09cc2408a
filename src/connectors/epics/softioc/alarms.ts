/**
 * Limit alarms as an ai/ao record raises them: HIHI, then LOLO, then HIGH, then LOW, each only when
 * its limit is set and its severity is not NO_ALARM.
 */
import { HIGH_ALARM, HIHI_ALARM, LOLO_ALARM, LOW_ALARM, NO_ALARM, alarmSeverityFromName } from '../ca/constants.ts';
import type { AlarmSeverityConfig, PvLimits } from './definition.ts';

export interface Alarm {
  status: number;
  severity: number;
}

/** Severity numbers per limit level. */
export type AlarmSeverities = Record<keyof AlarmSeverityConfig, number>;

export const NO_ALARM_STATE: Alarm = { status: NO_ALARM, severity: NO_ALARM };

/** JSON-defined PVs: HIHI and LOLO are MAJOR, HIGH and LOW are MINOR unless configured (spec §5.4). */
export const DEFAULT_ALARM_SEVERITIES: Required<AlarmSeverityConfig> = { HIHI: 'MAJOR', HIGH: 'MINOR', LOW: 'MINOR', LOLO: 'MAJOR' };

/** The configured severity names as numbers, defaults filled in (resolved once per PV, not per write). */
export function resolveAlarmSeverities(config: AlarmSeverityConfig | undefined): AlarmSeverities {
  const resolve = (level: keyof AlarmSeverityConfig): number => alarmSeverityFromName(config?.[level] ?? DEFAULT_ALARM_SEVERITIES[level]) ?? NO_ALARM;
  return { HIHI: resolve('HIHI'), HIGH: resolve('HIGH'), LOW: resolve('LOW'), LOLO: resolve('LOLO') };
}

export function limitAlarm(value: number, limits: PvLimits | undefined, severities: AlarmSeverities): Alarm {
  if (!limits || Number.isNaN(value)) return NO_ALARM_STATE;
  const { alarm_high: hihi, alarm_low: lolo, warn_high: high, warn_low: low } = limits;
  if (hihi !== undefined && value >= hihi && severities.HIHI !== NO_ALARM) return { status: HIHI_ALARM, severity: severities.HIHI };
  if (lolo !== undefined && value <= lolo && severities.LOLO !== NO_ALARM) return { status: LOLO_ALARM, severity: severities.LOLO };
  if (high !== undefined && value >= high && severities.HIGH !== NO_ALARM) return { status: HIGH_ALARM, severity: severities.HIGH };
  if (low !== undefined && value <= low && severities.LOW !== NO_ALARM) return { status: LOW_ALARM, severity: severities.LOW };
  return NO_ALARM_STATE;
}
