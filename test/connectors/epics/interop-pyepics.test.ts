/**
 * Debian's libca (through pyepics, a client we did not write) against our soft IOC and repeater,
 * each in its own process, over non-default ports (spec §5.6, checklist 91–92).
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startPyepicsPeer, startRepeaterProcess, startSoftIocProcess, stopBySignal, type JsonLinesProcess } from './interop-processes.ts';

const SKIP_REASON = 'skipped: python3-pyepics not installed';

describe('pyepics (Debian libca) against the soft IOC', { timeout: 60_000 }, () => {
  let ioc: JsonLinesProcess;
  let repeater: JsonLinesProcess;
  let peer: JsonLinesProcess | undefined;
  let skip: string | undefined;

  before(async () => {
    const started = await startRepeaterProcess();
    repeater = started.repeater;
    const soft = await startSoftIocProcess(['--generate', '50', '--port', '0'], { EPICS_CA_REPEATER_PORT: String(started.port) });
    ioc = soft.ioc;
    const pyepics = await startPyepicsPeer(soft.port, started.port);
    peer = pyepics.peer;
    if (!pyepics.ready) skip = `${SKIP_REASON} (${pyepics.reason})`;
  });

  after(async () => {
    if (peer) await peer.request({ op: 'quit' }, 1000).catch(() => undefined);
    await peer?.close();
    assert.equal(await ioc.close(), 0);
    await stopBySignal(repeater);
  });

  /** the peer, or undefined after marking the test skipped */
  function client(t: TestContext): JsonLinesProcess | undefined {
    if (skip) t.skip(skip);
    return skip ? undefined : peer;
  }

  it('reads a double as DBR_TIME with its value, alarm and a current timestamp', async (t) => {
    const py = client(t);
    if (!py) return;
    const answer = await py.request({ op: 'get', name: 'SIM:1:SP', form: 'time' });
    assert.equal(answer.ok, true);
    assert.equal(answer.value, 0.1);
    assert.equal(answer.type, 'time_double');
    assert.equal(answer.status, 0);
    assert.equal(answer.severity, 0);
    assert.ok(Math.abs((answer.timestamp as number) - Date.now() / 1000) < 60, `timestamp ${answer.timestamp}`);
  });

  it('reads the control metadata: units, precision and all eight limits', async (t) => {
    const py = client(t);
    if (!py) return;
    const answer = await py.request({ op: 'get', name: 'SIM:2:SP', form: 'ctrl' });
    const ctrl = answer.ctrl as Record<string, unknown>;
    assert.equal(ctrl.units, 'A');
    assert.equal(ctrl.precision, 3);
    assert.deepStrictEqual(
      [ctrl.upper_disp_limit, ctrl.lower_disp_limit, ctrl.upper_alarm_limit, ctrl.upper_warning_limit, ctrl.lower_warning_limit, ctrl.lower_alarm_limit, ctrl.upper_ctrl_limit, ctrl.lower_ctrl_limit],
      [1000, -1000, 900, 800, -800, -900, 1000, -1000],
    );
  });

  it('reads a string, an enum as its label with its states, every integer type and the 1,024-element waveform', async (t) => {
    const py = client(t);
    if (!py) return;
    assert.equal((await py.request({ op: 'get', name: 'SIM:STR' })).value, 'hello');
    assert.equal((await py.request({ op: 'get', name: 'SIM:ENUM', as_string: true })).value, 'Off');
    assert.deepStrictEqual(((await py.request({ op: 'get', name: 'SIM:ENUM', form: 'ctrl' })).ctrl as { enum_strs: string[] }).enum_strs, ['Off', 'On', 'Standby']);
    const integers = await Promise.all(['SIM:LONG', 'SIM:SHORT', 'SIM:FLOAT', 'SIM:CHAR'].map((name) => py.request({ op: 'get', name, form: 'native' })));
    assert.deepStrictEqual(integers.map((a) => [a.type, a.value]), [['long', 42], ['int', 7], ['float', 1.5], ['char', 65]]);
    const waveform = await py.request({ op: 'get', name: 'SIM:WF' });
    assert.equal(waveform.nelm, 1024);
    const values = waveform.value as number[];
    assert.equal(values.length, 1024);
    assert.ok(values.every((v) => v >= -1 && v <= 1));
  });

  it('sees an injected alarm and a limit alarm in the TIME status and severity', async (t) => {
    const py = client(t);
    if (!py) return;
    assert.deepStrictEqual(await ioc.request({ cmd: 'alarm', name: 'SIM:3:SP', status: 'COMM', severity: 'INVALID' }), { ok: true });
    const injected = await py.request({ op: 'get', name: 'SIM:3:SP', form: 'time' });
    assert.deepStrictEqual([injected.status, injected.severity], [9, 3]);
    await py.request({ op: 'put', name: 'SIM:4:SP', value: 950, wait: true });
    const high = await py.request({ op: 'get', name: 'SIM:4:SP', form: 'time' });
    assert.deepStrictEqual([high.value, high.status, high.severity], [950, 3, 2]);
  });

  it('changes values on the IOC with caput(wait=True): double, string and enum by label', async (t) => {
    const py = client(t);
    if (!py) return;
    assert.deepStrictEqual(await py.request({ op: 'put', name: 'SIM:5:SP', value: 12.5, wait: true }), { ok: true, result: 1 });
    assert.equal((await ioc.request({ cmd: 'get', name: 'SIM:5:SP' })).value, 12.5);
    await py.request({ op: 'put', name: 'SIM:STR', value: 'world', wait: true });
    assert.equal((await ioc.request({ cmd: 'get', name: 'SIM:STR' })).value, 'world');
    await py.request({ op: 'put', name: 'SIM:ENUM', value: 'Standby', wait: true });
    assert.equal((await ioc.request({ cmd: 'get', name: 'SIM:ENUM' })).value, 2);
  });

  it('is refused a put to the read-only PV, which stays unchanged', async (t) => {
    const py = client(t);
    if (!py) return;
    const state = await py.request({ op: 'state', name: 'SIM:RO' });
    assert.deepStrictEqual([state.read_access, state.write_access], [true, false]);
    const put = await py.request({ op: 'put', name: 'SIM:RO', value: 1, wait: true });
    assert.equal(put.ok, false);
    assert.match(put.error as string, /Write access denied/);
    assert.equal((await ioc.request({ cmd: 'get', name: 'SIM:RO' })).value, 3.14159);
    await py.request({ op: 'put', name: 'SIM:REJECT', value: 5, wait: true });
    assert.equal((await ioc.request({ cmd: 'get', name: 'SIM:REJECT' })).value, 0);
  });

  it('sees every put in a monitor callback', async (t) => {
    const py = client(t);
    if (!py) return;
    assert.deepStrictEqual(await py.request({ op: 'monitor', name: 'SIM:6:SP', id: 'm6' }), { ok: true });
    assert.deepStrictEqual(((await py.request({ op: 'events', id: 'm6', min: 1 })).events as { value: number }[]).map((e) => e.value), [0.6]);
    for (const value of [1, 2, 3]) await py.request({ op: 'put', name: 'SIM:6:SP', value, wait: true });
    const events = (await py.request({ op: 'events', id: 'm6', min: 3 })).events as { value: number }[];
    assert.deepStrictEqual(events.map((e) => e.value), [1, 2, 3]);
  });

  it('reconnects after the IOC drops every circuit and resumes monitoring', async (t) => {
    const py = client(t);
    if (!py) return;
    await py.request({ op: 'monitor', name: 'SIM:7:SP', id: 'm7' });
    await py.request({ op: 'events', id: 'm7', min: 1 });
    const dropped = await ioc.request({ cmd: 'drop' });
    assert.equal(dropped.ok, true);
    assert.ok((dropped.dropped as number) >= 1);
    // libca re-searches a dropped circuit's channels on its disconnect governor timer (about 10 s);
    // the re-subscription after reconnecting delivers the current value again
    const resumed = await py.request({ op: 'events', id: 'm7', min: 1, timeout: 25 }, 30_000);
    assert.deepStrictEqual(resumed.connections, [false, true]);
    await ioc.request({ cmd: 'set', name: 'SIM:7:SP', value: 77 });
    const after = (await py.request({ op: 'events', id: 'm7', min: 1 })).events as { value: number }[];
    assert.equal(after.at(-1)?.value, 77);
  });
});
