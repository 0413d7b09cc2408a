/**
 * The generated PV set (`--generate N`, spec §5.4): N setpoint/readback pairs plus one PV of each
 * other kind a client must handle (text, enum, integer types, a waveform, read-only, rejecting).
 */
import type { PvDefinition } from './definition.ts';

export const DEFAULT_GENERATED_PREFIX = 'SIM:';

/**
 * `${prefix}${i}:SP` (i = 1…count; double, units A, precision 3, drive ±1000, alarm limits) with its
 * read-only readback `${prefix}${i}:RB`, then `${prefix}STR`, `ENUM`, `LONG`, `SHORT`, `FLOAT`,
 * `CHAR`, `WF` (double[1024], sine), `RO` and `REJECT`.
 */
export function generatedPvDefinitions(count: number, prefix = DEFAULT_GENERATED_PREFIX): PvDefinition[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`the number of generated PV pairs must be a whole number ≥ 0, got ${count}`);
  const definitions: PvDefinition[] = [];
  for (let i = 1; i <= count; i++) {
    definitions.push({
      name: `${prefix}${i}:SP`,
      type: 'double',
      value: (i % 1000) / 10,
      units: 'A',
      precision: 3,
      limits: {
        disp_high: 1000, disp_low: -1000, ctrl_high: 1000, ctrl_low: -1000, drv_high: 1000, drv_low: -1000,
        alarm_high: 900, warn_high: 800, warn_low: -800, alarm_low: -900,
      },
      description: `setpoint ${i}`,
    });
    definitions.push({
      name: `${prefix}${i}:RB`,
      type: 'double',
      units: 'A',
      precision: 3,
      limits: { disp_high: 1000, disp_low: -1000, alarm_high: 900, warn_high: 800, warn_low: -800, alarm_low: -900 },
      read_only: true,
      follow: { source: `${prefix}${i}:SP`, noise: 0.001 },
      description: `readback ${i}`,
    });
  }
  definitions.push(
    { name: `${prefix}STR`, type: 'string', value: 'hello' },
    { name: `${prefix}ENUM`, type: 'enum', states: ['Off', 'On', 'Standby'], value: 0 },
    { name: `${prefix}LONG`, type: 'long', value: 42, units: 'counts', limits: { disp_high: 100000, disp_low: -100000 } },
    { name: `${prefix}SHORT`, type: 'short', value: 7, limits: { disp_high: 1000, disp_low: -1000 } },
    { name: `${prefix}FLOAT`, type: 'float', value: 1.5, units: 'V', precision: 2, limits: { disp_high: 10, disp_low: -10 } },
    { name: `${prefix}CHAR`, type: 'char', value: 65 },
    { name: `${prefix}WF`, type: 'double', count: 1024, value: 0, units: 'V', precision: 4, limits: { disp_high: 1, disp_low: -1 }, sim: { kind: 'sine', amplitude: 1, period_s: 10, hz: 1 } },
    { name: `${prefix}RO`, type: 'double', value: 3.14159, units: 'K', precision: 2, read_only: true },
    { name: `${prefix}REJECT`, type: 'double', value: 0, reject_writes: true },
  );
  return definitions;
}
