/**
 * npm `epics-tca`, a second CA client we did not write, against our soft IOC (spec §5.6, checklist
 * 93): get plain, DBR_TIME and DBR_CTRL, put with notify, and monitors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { SoftIoc, generatedPvDefinitions } from '../../../src/connectors/epics/softioc/index.ts';
import { ECA_NORMAL, POSIX_TIME_AT_EPICS_EPOCH } from '../../../src/connectors/epics/ca/constants.ts';
import { JsonLinesProcess } from './interop-processes.ts';

const PEER = new URL('./interop-epics-tca-peer.mjs', import.meta.url).pathname;

/** a UDP port nobody holds right now (epics-tca binds its repeater and PVA ports itself) */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

type Data = Record<string, unknown> & { value: unknown };

describe('epics-tca against the soft IOC', { timeout: 30_000 }, () => {
  let ioc: SoftIoc;
  let tca: JsonLinesProcess;

  async function get(name: string, type: 'native' | 'time' | 'ctrl' = 'native'): Promise<Data> {
    const answer = await tca.request({ op: 'get', name, type });
    assert.equal(answer.ok, true, `get ${name}: ${String(answer.error)}`);
    return answer.data as Data;
  }

  async function put(name: string, value: unknown): Promise<unknown> {
    return (await tca.request({ op: 'put', name, value })).status;
  }

  before(async () => {
    ioc = new SoftIoc({ definitions: generatedPvDefinitions(10), port: 0, beaconAddresses: [] });
    await ioc.start();
    const env = {
      EPICS_CA_ADDR_LIST: '127.0.0.1',
      EPICS_CA_AUTO_ADDR_LIST: 'NO',
      EPICS_CA_SERVER_PORT: String(ioc.port),
      EPICS_CA_REPEATER_PORT: String(await freeUdpPort()),
      EPICS_PVA_BROADCAST_PORT: String(await freeUdpPort()),
    };
    tca = new JsonLinesProcess(process.execPath, [PEER, JSON.stringify(env)], process.env);
    assert.deepStrictEqual(await tca.read(), { ready: true });
  });

  after(async () => {
    await tca.request({ op: 'quit' }, 1000).catch(() => undefined);
    await tca.close();
    await ioc.close();
  });

  it('gets a double plainly and as DBR_TIME_DOUBLE with alarm and time stamp', async () => {
    assert.equal((await get('SIM:1:SP')).value, 0.1);
    const timed = await get('SIM:1:SP', 'time');
    assert.deepStrictEqual([timed.value, timed.status, timed.severity], [0.1, 0, 0]);
    const unixSeconds = (timed.secondsSinceEpoch as number) + POSIX_TIME_AT_EPICS_EPOCH;
    assert.ok(Math.abs(unixSeconds - Date.now() / 1000) < 60, `stamp ${String(timed.secondsSinceEpoch)}`);
  });

  it('gets DBR_CTRL_DOUBLE metadata: units, precision and limits', async () => {
    const ctrl = await get('SIM:2:SP', 'ctrl');
    assert.deepStrictEqual([ctrl.units, ctrl.precision], ['A', 3]);
    assert.deepStrictEqual(
      [ctrl.upper_display_limit, ctrl.lower_display_limit, ctrl.upper_alarm_limit, ctrl.upper_warning_limit, ctrl.lower_warning_limit, ctrl.lower_alarm_limit, ctrl.upper_ctrl_limit, ctrl.lower_ctrl_limit],
      [1000, -1000, 900, 800, -800, -900, 1000, -1000],
    );
  });

  it('gets a string, an enum with its states and the 1,024-element waveform', async () => {
    assert.equal((await get('SIM:STR')).value, 'hello');
    const states = await get('SIM:ENUM', 'ctrl');
    assert.deepStrictEqual((states.strings as string[]).slice(0, states.number_of_string_used as number), ['Off', 'On', 'Standby']);
    assert.equal(((await get('SIM:WF')).value as number[]).length, 1024);
  });

  it('puts with notify and gets ECA_NORMAL once the IOC holds the value', async () => {
    assert.equal(await put('SIM:3:SP', [12.5]), ECA_NORMAL);
    assert.deepStrictEqual(ioc.database.get('SIM:3:SP')?.value, [12.5]);
    assert.equal((await get('SIM:3:SP')).value, 12.5);
  });

  it('is not given ECA_NORMAL for a put to the read-only PV, which stays unchanged', async () => {
    assert.notEqual(await put('SIM:RO', [1]), ECA_NORMAL);
    assert.deepStrictEqual(ioc.database.get('SIM:RO')?.value, [3.14159]);
  });

  it('monitors: the initial value, then one update per put', async () => {
    assert.deepStrictEqual(await tca.request({ op: 'monitor', name: 'SIM:4:SP', id: 'm4' }), { ok: true });
    assert.deepStrictEqual((await tca.request({ op: 'events', id: 'm4', min: 1 })).values, [0.4]);
    for (const value of [1, 2, 3]) assert.equal(await put('SIM:4:SP', [value]), ECA_NORMAL);
    assert.deepStrictEqual((await tca.request({ op: 'events', id: 'm4', min: 3 })).values, [1, 2, 3]);
  });
});
