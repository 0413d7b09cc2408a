import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CaStatusError } from '../../../src/connectors/epics/ca/codec.ts';
import {
  DBE_ALARM,
  DBE_LOG,
  DBE_VALUE,
  DBF_DOUBLE,
  DBF_STRING,
  ECA_BADTYPE,
  ECA_NORMAL,
  ECA_PUTFAIL,
  HIGH_ALARM,
  HIHI_ALARM,
  LOLO_ALARM,
  MAJOR_ALARM,
  MINOR_ALARM,
} from '../../../src/connectors/epics/ca/constants.ts';
import {
  PvDatabase,
  PvDefinitionError,
  Simulation,
  SoftIoc,
  generatedPvDefinitions,
  limitAlarm,
  parseDbFile,
  resolveAlarmSeverities,
  parseJsonPvFile,
  parseMacros,
  parsePvDefinition,
} from '../../../src/connectors/epics/softioc/index.ts';

/** a database whose change notifications are recorded as [name, mask] */
function recordingDatabase(): { database: PvDatabase; changes: [string, number][] } {
  const database = new PvDatabase();
  const changes: [string, number][] = [];
  database.listen({ changed: (pv, mask) => changes.push([pv.name, mask]), accessChanged: () => {}, removed: () => {} });
  return { database, changes };
}

describe('soft IOC PV definitions and loaders', () => {
  it('loads the JSON format with its prefix applied to names and follow sources', () => {
    const definitions = parseJsonPvFile(JSON.stringify({
      prefix: 'LAB:',
      pvs: [
        { name: 'SP', type: 'double', value: 1, units: 'V', precision: 2, limits: { drv_high: 5, drv_low: 0 } },
        { name: 'RB', read_only: true, follow: { source: 'SP', noise: 0.1, lag_ms: 5 } },
        { name: 'MODE', type: 'enum', states: ['A', 'B'], value: 'B' },
      ],
    }));
    assert.deepStrictEqual(definitions.map((d) => [d.name, d.type]), [['LAB:SP', 'double'], ['LAB:RB', 'double'], ['LAB:MODE', 'enum']]);
    assert.deepStrictEqual(definitions[1]!.follow, { source: 'LAB:SP', noise: 0.1, lag_ms: 5 });
  });

  it('refuses bad definitions with a message naming the PV and the field', () => {
    assert.throws(() => parseJsonPvFile('{"pvs": [{"name": "X", "type": "quad"}]}', 'f.json'), /f\.json pvs\[0\] 'X': type must be one of double/);
    assert.throws(() => parseJsonPvFile('{"pvs": [{"name": "X", "limits": {"top": 1}}]}'), /unknown limit 'top'/);
    assert.throws(() => parsePvDefinition({ name: 'X', count: 0 }), /count must be an integer from 1/);
    assert.throws(() => parsePvDefinition({ name: 'X', sim: { kind: 'sine', hz: -1 } }), /sim\.hz must be a positive number/);
    assert.throws(() => parsePvDefinition({ name: 'X', alarm_severities: { HIHI: 'LOUD' } }), /alarm_severities\.HIHI must be NO_ALARM, MINOR, MAJOR or INVALID/);
    assert.throws(() => parsePvDefinition({ name: 'has space' }), PvDefinitionError);
    assert.throws(() => parseJsonPvFile('{"pvs": '), /not valid JSON/);
  });

  it('loads the .db subset with macros, NAME.FIELD PVs and warnings for what it skips', () => {
    const text = `
      # a comment
      record(ao, "$(P)CURRENT") {
        field(DESC, "Magnet current")
        field(VAL, "2.5")  field(EGU, "A") field(PREC, "2")
        field(HOPR, "10") field(LOPR, "0") field(DRVH, "9") field(DRVL, "0")
        field(HIHI, "8") field(HHSV, "MAJOR") field(HIGH, "7")
        field(SCAN, "1 second")
        info(autosaveFields, "VAL")
      }
      record(bo, "$(P)ENABLE") { field(ZNAM, "Off") field(ONAM, "On") }
      record(mbbi, "$(P)MODE") { field(ZRST, "Idle") field(TWST, "Run") field(VAL, "2") }
      record(waveform, "$(P)TRACE") { field(FTVL, "SHORT") field(NELM, "4") field(VAL, "[1,2,3]") }
      record(stringin, "$(P)NAME") { field(VAL, "$(R=default)") }
      record(calc, "$(P)CALC") { field(CALC, "A+B") }
      alias("$(P)CURRENT", "$(P)I")
    `;
    const { definitions, warnings } = parseDbFile(text, parseMacros('P=SR:'));
    const byName = new Map(definitions.map((d) => [d.name, d]));
    assert.deepStrictEqual([...byName.keys()], [
      'SR:CURRENT', 'SR:CURRENT.DESC', 'SR:CURRENT.EGU', 'SR:CURRENT.PREC', 'SR:CURRENT.HOPR', 'SR:CURRENT.LOPR', 'SR:CURRENT.DRVH', 'SR:CURRENT.DRVL',
      'SR:CURRENT.HIHI', 'SR:CURRENT.HHSV', 'SR:CURRENT.HIGH', 'SR:ENABLE', 'SR:ENABLE.ZNAM', 'SR:ENABLE.ONAM', 'SR:MODE', 'SR:MODE.ZRST', 'SR:MODE.TWST',
      'SR:TRACE', 'SR:TRACE.FTVL', 'SR:TRACE.NELM', 'SR:NAME',
    ]);
    const current = byName.get('SR:CURRENT')!;
    assert.deepStrictEqual([current.type, current.value, current.units, current.precision, current.description], ['double', 2.5, 'A', 2, 'Magnet current']);
    assert.deepStrictEqual(current.limits, { disp_high: 10, disp_low: 0, alarm_high: 8, warn_high: 7, ctrl_high: 9, ctrl_low: 0, drv_high: 9, drv_low: 0 });
    assert.deepStrictEqual(current.alarm_severities, { HIHI: 'MAJOR', HIGH: 'NO_ALARM', LOW: 'NO_ALARM', LOLO: 'NO_ALARM' });
    assert.deepStrictEqual(byName.get('SR:MODE')!.states, ['Idle', '', 'Run']);
    assert.deepStrictEqual([byName.get('SR:TRACE')!.type, byName.get('SR:TRACE')!.count, byName.get('SR:TRACE')!.value], ['short', 4, [1, 2, 3]]);
    assert.equal(byName.get('SR:NAME')!.value, 'default');
    const egu = byName.get('SR:CURRENT.EGU')!;
    assert.deepStrictEqual([egu.type, egu.value, egu.read_only], ['string', 'A', true]);
    assert.deepStrictEqual([byName.get('SR:CURRENT.HHSV')!.type, byName.get('SR:CURRENT.HHSV')!.value], ['enum', 'MAJOR']);
    assert.deepStrictEqual(warnings, [
      ".db file:9: SR:CURRENT: 'info' is not supported; skipped",
      'SR:CURRENT.SCAN is not supported for ao; ignored',
      ".db file:15: record type 'calc' (SR:CALC) is not supported; skipped",
      ".db file:16: 'alias' is not supported; skipped",
    ]);
  });

  it('warns about an undefined macro and refuses an unterminated string', () => {
    assert.deepStrictEqual(parseDbFile('record(ai, "$(X)A") {}').warnings, ['macro $(X) is not defined; left as is']);
    assert.throws(() => parseDbFile('record(ai, "A) {'), /unterminated string/);
    assert.throws(() => parseMacros('P'), /macro 'P' is not NAME=VALUE/);
  });

  it('generates SP/RB pairs and one PV of each other kind', () => {
    const definitions = generatedPvDefinitions(2, 'G:');
    assert.deepStrictEqual(definitions.map((d) => d.name), ['G:1:SP', 'G:1:RB', 'G:2:SP', 'G:2:RB', 'G:STR', 'G:ENUM', 'G:LONG', 'G:SHORT', 'G:FLOAT', 'G:CHAR', 'G:WF', 'G:RO', 'G:REJECT']);
    const sp = definitions[0]!;
    assert.deepStrictEqual([sp.type, sp.units, sp.precision, sp.limits?.drv_high, sp.limits?.drv_low], ['double', 'A', 3, 1000, -1000]);
    assert.deepStrictEqual([definitions[1]!.read_only, definitions[1]!.follow], [true, { source: 'G:1:SP', noise: 0.001 }]);
    assert.equal(definitions.find((d) => d.name === 'G:WF')!.count, 1024);
    assert.throws(() => generatedPvDefinitions(-1), /whole number/);
  });
});

describe('soft IOC PVs', () => {
  it('raises HIHI/LOLO as MAJOR and HIGH/LOW as MINOR by default, honouring configured severities', () => {
    const limits = { alarm_high: 10, warn_high: 5, warn_low: -5, alarm_low: -10 };
    const defaults = resolveAlarmSeverities(undefined);
    assert.deepStrictEqual(defaults, { HIHI: MAJOR_ALARM, HIGH: MINOR_ALARM, LOW: MINOR_ALARM, LOLO: MAJOR_ALARM });
    assert.deepStrictEqual(limitAlarm(10, limits, defaults), { status: HIHI_ALARM, severity: MAJOR_ALARM });
    assert.deepStrictEqual(limitAlarm(6, limits, defaults), { status: HIGH_ALARM, severity: MINOR_ALARM });
    assert.deepStrictEqual(limitAlarm(-11, limits, defaults), { status: LOLO_ALARM, severity: MAJOR_ALARM });
    assert.deepStrictEqual(limitAlarm(0, limits, defaults), { status: 0, severity: 0 });
    assert.deepStrictEqual(limitAlarm(11, limits, resolveAlarmSeverities({ HIHI: 'NO_ALARM' })), { status: HIGH_ALARM, severity: MINOR_ALARM });
  });

  it('converts, clamps to the drive limits and posts VALUE|LOG, adding ALARM when the alarm changes', async () => {
    const { database, changes } = recordingDatabase();
    const pv = database.add({ name: 'P', type: 'long', limits: { drv_high: 100, drv_low: 0, alarm_high: 90 } });
    assert.equal(await pv.write(['250'], DBF_STRING), ECA_NORMAL);
    assert.deepStrictEqual([pv.value, pv.alarm], [[100], { status: HIHI_ALARM, severity: MAJOR_ALARM }]);
    assert.equal(await pv.write([5.9], DBF_DOUBLE), ECA_NORMAL);
    assert.deepStrictEqual(pv.value, [5]);
    assert.equal(await pv.write(['five'], DBF_STRING), ECA_BADTYPE);
    assert.deepStrictEqual(changes, [['P', DBE_VALUE | DBE_LOG | DBE_ALARM], ['P', DBE_VALUE | DBE_LOG | DBE_ALARM]]);
  });

  it('keeps an injected alarm until NO_ALARM is injected, then limit alarms apply again', () => {
    const { database, changes } = recordingDatabase();
    const pv = database.add({ name: 'P', value: 20, limits: { alarm_high: 10 } });
    assert.deepStrictEqual(pv.alarm, { status: HIHI_ALARM, severity: MAJOR_ALARM });
    pv.injectAlarm(9, 3);
    pv.set(0);
    assert.deepStrictEqual(pv.alarm, { status: 9, severity: 3 });
    pv.injectAlarm(0, 0);
    assert.deepStrictEqual(pv.alarm, { status: 0, severity: 0 });
    assert.deepStrictEqual(changes.map(([, mask]) => mask), [DBE_ALARM, DBE_VALUE | DBE_LOG, DBE_ALARM]);
  });

  it('refuses writes with ECA_PUTFAIL when configured to, and a set value its type cannot hold', async () => {
    const database = new PvDatabase();
    const rejecting = database.add({ name: 'R', value: 1, reject_writes: true });
    assert.equal(await rejecting.write([2], DBF_DOUBLE), ECA_PUTFAIL);
    assert.deepStrictEqual(rejecting.value, [1]);
    assert.throws(() => rejecting.set('x'), (err: unknown) => err instanceof CaStatusError && err.status === ECA_BADTYPE);
    assert.throws(() => database.add({ name: 'R', type: 'double' }), /PV R already exists/);
    assert.throws(() => database.add({ name: 'N', type: 'long', value: 'many' }), /PV N: the initial value does not fit: ECA_BADTYPE/);
    assert.equal(database.get('R.VAL'), rejecting);
  });

  it('steps counters and sines on their timers and lets a readback follow its setpoint', async () => {
    const database = new PvDatabase();
    const counter = database.add({ name: 'C', type: 'long', sim: { kind: 'counter', hz: 1000 } });
    const sp = database.add({ name: 'SP', value: 1 });
    const rb = database.add({ name: 'RB', follow: { source: 'SP', noise: 0 } });
    const simulation = new Simulation(database, { random: () => 0.5 });
    simulation.start();
    assert.deepStrictEqual(rb.value, [1]);
    const followed = new Promise<void>((resolve) => database.listen({ changed: (pv) => pv === rb && resolve(), accessChanged: () => {}, removed: () => {} }));
    sp.set(42);
    await followed;
    assert.deepStrictEqual(rb.value, [42]);
    const counted = new Promise<void>((resolve) => database.listen({ changed: (pv) => pv === counter && counter.numericValue >= 3 && resolve(), accessChanged: () => {}, removed: () => {} }));
    await counted;
    simulation.stop();
  });

  it('answers control commands with ok and an echoed id, and errors with ok:false', async () => {
    const ioc = new SoftIoc({ definitions: generatedPvDefinitions(1), port: 0, beaconAddresses: [] });
    assert.deepStrictEqual(await ioc.control({ cmd: 'set', name: 'SIM:1:SP', value: 3, id: 9 }), { ok: true, id: 9 });
    assert.deepStrictEqual(await ioc.control({ cmd: 'get', name: 'SIM:1:SP' }), { ok: true, value: 3, status: 0, severity: 0 });
    assert.deepStrictEqual(await ioc.control({ cmd: 'alarm', name: 'SIM:1:SP', status: 'HIHI', severity: 'MAJOR' }), { ok: true });
    assert.deepStrictEqual(await ioc.control({ cmd: 'add', pv: { name: 'NEW', type: 'string', value: 'x' } }), { ok: true, name: 'NEW' });
    assert.deepStrictEqual(await ioc.control({ cmd: 'remove', name: 'NEW' }), { ok: true });
    assert.deepStrictEqual(await ioc.control({ cmd: 'get', name: 'NEW' }), { ok: false, error: 'no PV named NEW' });
    assert.deepStrictEqual(await ioc.control({ cmd: 'alarm', name: 'SIM:1:SP', status: 'LOUD', severity: 1 }), { ok: false, error: 'unknown alarm status "LOUD"' });
    assert.deepStrictEqual(await ioc.control({ cmd: 'set', name: 'SIM:STR', value: 'x'.repeat(40) }), { ok: false, error: "ECA_BADSTR: Invalid string ('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is over 39 bytes)" });
    assert.deepStrictEqual(await ioc.control({ cmd: 'freeze' }), { ok: false, error: '"ms" must be a number of milliseconds' });
    assert.match((await ioc.control({ cmd: 'explode' })).error as string, /unknown command "explode"/);
    const stats = (await ioc.control({ cmd: 'stats' })).stats as Record<string, unknown>;
    assert.deepStrictEqual([stats.pvs, stats.circuits, stats.running], [11, 0, false]);
    await ioc.close();
  });
});
