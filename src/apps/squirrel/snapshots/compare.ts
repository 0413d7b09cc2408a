import type { SnapshotValueView } from './service.ts';

export type ToleranceMode = 'absolute' | 'relative';

export interface Tolerance {
  abs: number;
  rel: number;
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Upstream's `_values_within_tolerance` (spec §3.3 tolerance rule): nulls, then numbers with the
 * absolute and relative tolerance, numeric arrays element by element (Addition), else strict equality.
 */
export function withinTolerance(a: unknown, b: unknown, tolerance: Tolerance): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (finite(a) && finite(b)) {
    const delta = Math.abs(a - b);
    if (delta <= tolerance.abs) return true;
    return tolerance.rel > 0 && a !== 0 && delta / Math.abs(a) <= tolerance.rel;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => withinTolerance(x, b[i], tolerance));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `?tolerance=t` overrides per-PV tolerances: absolute |a−b| ≤ t, relative |a−b| ≤ t·|a| */
export function overrideTolerance(t: number, mode: ToleranceMode, a: unknown): Tolerance {
  if (mode === 'absolute') return { abs: t, rel: 0 };
  // |a−b| ≤ t·|a| is the relative rule with no absolute slack; a = 0 then needs b = 0.
  return { abs: 0, rel: finite(a) && a !== 0 ? t : 0 };
}

/** One side of a comparison: a PV's setpoint and readback values and its tolerances. */
export interface CompareSide {
  key: string;
  pv_id: string | null;
  pv_name: string;
  setpoint: unknown;
  readback: unknown;
  hasSetpoint: boolean;
  hasReadback: boolean;
  tolerance: Tolerance;
}

export interface Difference {
  pv_id: string | null;
  pv_name: string;
  value1: unknown;
  value2: unknown;
  diff: number | null;
  diff_percent: number | null;
  readback1: unknown;
  readback2: unknown;
  within_tolerance: boolean;
  only_in: 'snapshot1' | 'snapshot2' | null;
}

export interface Comparison {
  snapshot1_id: string;
  snapshot2_id: string;
  tolerance: number | null;
  tolerance_mode: ToleranceMode;
  total_pvs: number;
  match_count: number;
  different_count: number;
  difference_count: number;
  differences: Difference[];
}

/** matched by pv_id, or by pv_name once the PV is deleted (spec §3.3 Scope, D13) */
export function sideFromValue(value: SnapshotValueView): CompareSide {
  return {
    key: value.pv_id ?? `name:${value.pv_name}`,
    pv_id: value.pv_id,
    pv_name: value.pv_name,
    setpoint: value.setpoint?.value ?? null,
    readback: value.readback?.value ?? null,
    hasSetpoint: value.setpoint_name !== null,
    hasReadback: value.readback_name !== null,
    tolerance: { abs: value.abs_tolerance, rel: value.rel_tolerance },
  };
}

function delta(a: unknown, b: unknown): { diff: number | null; diff_percent: number | null } {
  if (!finite(a) || !finite(b)) return { diff: null, diff_percent: null };
  const diff = b - a;
  return { diff, diff_percent: a === 0 ? null : (diff / Math.abs(a)) * 100 };
}

export function compareSides(
  ids: { snapshot1: string; snapshot2: string },
  left: readonly CompareSide[],
  right: readonly CompareSide[],
  override: { tolerance?: number; mode: ToleranceMode },
): Comparison {
  const rightByKey = new Map(right.map((side) => [side.key, side]));
  const nameKeyed = new Map(right.filter((s) => s.pv_id === null).map((side) => [`name:${side.pv_name}`, side]));
  const seen = new Set<string>();
  const differences: Difference[] = [];
  let total = 0;
  const toleranceFor = (side: CompareSide, a: unknown) => (override.tolerance === undefined ? side.tolerance : overrideTolerance(override.tolerance, override.mode, a));
  const primary = (side: CompareSide) => (side.hasSetpoint ? side.setpoint : side.readback);

  for (const one of left) {
    total += 1;
    const two = rightByKey.get(one.key) ?? nameKeyed.get(`name:${one.pv_name}`);
    if (!two) {
      differences.push({ pv_id: one.pv_id, pv_name: one.pv_name, value1: primary(one), value2: null, diff: null, diff_percent: null, readback1: one.readback, readback2: null, within_tolerance: false, only_in: 'snapshot1' });
      continue;
    }
    seen.add(two.key);
    const setpointsMatch = withinTolerance(one.setpoint, two.setpoint, toleranceFor(one, one.setpoint));
    const readbacksMatch = !(one.hasReadback || two.hasReadback) || withinTolerance(one.readback, two.readback, toleranceFor(one, one.readback));
    if (setpointsMatch && readbacksMatch) continue;
    const value1 = primary(one);
    const value2 = primary(two);
    differences.push({ pv_id: one.pv_id ?? two.pv_id, pv_name: one.pv_name, value1, value2, ...delta(value1, value2), readback1: one.readback, readback2: two.readback, within_tolerance: false, only_in: null });
  }
  for (const two of right) {
    if (seen.has(two.key)) continue;
    total += 1;
    differences.push({ pv_id: two.pv_id, pv_name: two.pv_name, value1: null, value2: primary(two), diff: null, diff_percent: null, readback1: null, readback2: two.readback, within_tolerance: false, only_in: 'snapshot2' });
  }
  differences.sort((a, b) => (a.pv_name < b.pv_name ? -1 : a.pv_name > b.pv_name ? 1 : 0));
  return {
    snapshot1_id: ids.snapshot1,
    snapshot2_id: ids.snapshot2,
    tolerance: override.tolerance ?? null,
    tolerance_mode: override.mode,
    total_pvs: total,
    match_count: total - differences.length,
    different_count: differences.length,
    difference_count: differences.length,
    differences,
  };
}
