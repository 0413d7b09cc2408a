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

export const NO_ALARM_STATE: Alarm = { status: NO_ALARM, severity: NO_ALARM };

/** JSON-defined PVs: HIHI and LOLO are MAJOR, HIGH and LOW are MINOR unless configured (spec §5.4). */
export const DEFAULT_ALARM_SEVERITIES: Required<AlarmSeverityConfig> = { HIHI: 'MAJOR', HIGH: 'MINOR', LOW: 'MINOR', LOLO: 'MAJOR' };

function severity(config: AlarmSeverityConfig | undefined, level: keyof AlarmSeverityConfig): number {
  const name = config?.[level] ?? DEFAULT_ALARM_SEVERITIES[level];
  return alarmSeverityFromName(name) ?? NO_ALARM;
}

export function limitAlarm(value: number, limits: PvLimits | undefined, severities: AlarmSeverityConfig | undefined): Alarm {
  if (!limits || Number.isNaN(value)) return NO_ALARM_STATE;
  const checks: [number | undefined, boolean, number, keyof AlarmSeverityConfig][] = [
    [limits.alarm_high, value >= (limits.alarm_high ?? Infinity), HIHI_ALARM, 'HIHI'],
    [limits.alarm_low, value <= (limits.alarm_low ?? -Infinity), LOLO_ALARM, 'LOLO'],
    [limits.warn_high, value >= (limits.warn_high ?? Infinity), HIGH_ALARM, 'HIGH'],
    [limits.warn_low, value <= (limits.warn_low ?? -Infinity), LOW_ALARM, 'LOW'],
  ];
  for (const [limit, crossed, status, level] of checks) {
    const levelSeverity = severity(severities, level);
    if (limit !== undefined && crossed && levelSeverity !== NO_ALARM) return { status, severity: levelSeverity };
  }
  return NO_ALARM_STATE;
}
