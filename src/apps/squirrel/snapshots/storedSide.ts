import type { EpicsValue } from '../live/values.ts';

/*
 * How one side (setpoint or readback) of a snapshot value is stored: a JSON array
 * `[value, status, severity, timestamp, units, precision, upper_ctrl_limit, lower_ctrl_limit, connected]`,
 * with `enum_strs` appended for enum PVs. The value comes first: a side without one starts with `[null,`,
 * which SQL tests without parsing JSON (snapshots/repo.ts). Key names would make up over half of every
 * stored side; without them a 40,000-PV snapshot writes about 8 MB less (spec §9 B1) and reads parse
 * faster. Migration 20261122_1700 rewrote the sides stored before as objects.
 */

type StoredSide = [unknown, number, number, string | null, string | null, number | null, number | null, number | null, boolean, string[]?];

export function encodeSide(side: EpicsValue): string {
  const stored: StoredSide = [side.value, side.status, side.severity, side.timestamp, side.units, side.precision, side.upper_ctrl_limit, side.lower_ctrl_limit, side.connected];
  if (side.enum_strs) stored.push(side.enum_strs);
  return JSON.stringify(stored);
}

/** the EpicsValue as served (spec §3.1), keys in the order the API has always sent them */
export function decodeSide(text: string | null): EpicsValue | null {
  if (text === null) return null;
  const [value, status, severity, timestamp, units, precision, upper, lower, connected, enumStrs] = JSON.parse(text) as StoredSide;
  return {
    value,
    status,
    severity,
    timestamp,
    units,
    precision,
    upper_ctrl_limit: upper,
    lower_ctrl_limit: lower,
    ...(enumStrs ? { enum_strs: enumStrs } : {}),
    connected,
  };
}

/** only the value of a stored side, for restores, which write nothing else */
export function decodeSideValue(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as StoredSide)[0];
}
