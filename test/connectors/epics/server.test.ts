import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clearChannelMessage,
  createChannelRequest,
  decodeDbr,
  decodeErrorMessage,
  echoMessage,
  encodeDbr,
  encodeMessage,
  eventAddRequest,
  eventCancelRequest,
  eventsOffMessage,
  eventsOnMessage,
  readNotifyRequest,
  readSyncMessage,
  searchRequest,
  writeNotifyRequest,
  writeRequest,
} from '../../../src/connectors/epics/ca/codec.ts';
import {
  CA_PROTO_ACCESS_RIGHTS,
  CA_PROTO_CLEAR_CHANNEL,
  CA_PROTO_CREATE_CH_FAIL,
  CA_PROTO_ECHO,
  CA_PROTO_ERROR,
  CA_PROTO_EVENT_ADD,
  CA_PROTO_NOT_FOUND,
  CA_PROTO_READ_NOTIFY,
  CA_PROTO_READ_SYNC,
  CA_PROTO_SEARCH,
  CA_PROTO_SERVER_DISCONN,
  CA_PROTO_VERSION,
  CA_PROTO_WRITE_NOTIFY,
  DBE_ALARM,
  DBE_VALUE,
  DBR_CTRL_DOUBLE,
  DBR_DOUBLE,
  DBR_GR_ENUM,
  DBR_STRING,
  DBR_TIME_DOUBLE,
  DOREPLY,
  ECA_BADCHID,
  ECA_BADCOUNT,
  ECA_BADMONID,
  ECA_BADTYPE,
  ECA_INTERNAL,
  ECA_NORMAL,
  ECA_NOWTACCESS,
  ECA_PUTFAIL,
  HIHI_ALARM,
  MAJOR_ALARM,
} from '../../../src/connectors/epics/ca/constants.ts';
import { SoftIoc, type PvDefinition } from '../../../src/connectors/epics/softioc/index.ts';
import { RawCircuit } from './server-harness.ts';

const DEFINITIONS: PvDefinition[] = [
  { name: 'T:DBL', type: 'double', value: 1.23456, precision: 3, units: 'mA', limits: { disp_high: 10, disp_low: -10, alarm_high: 8, warn_high: 6, warn_low: -6, alarm_low: -8, drv_high: 9, drv_low: -9 } },
  { name: 'T:RO', type: 'double', value: 5, read_only: true },
  { name: 'T:REJ', type: 'double', value: 0, reject_writes: true },
  { name: 'T:SLOW', type: 'long', value: 0, write_delay_ms: 150 },
  { name: 'T:WF', type: 'double', count: 10, value: [1, 2, 3] },
  { name: 'T:ENUM', type: 'enum', states: ['Off', 'On'], value: 1 },
  { name: 'T:STR', type: 'string', value: 'abc' },
];

const payloadOf = (values: number[]): Buffer => encodeDbr(DBR_DOUBLE, { value: values });

describe('CA server: virtual circuits', () => {
  let ioc: SoftIoc;
  const circuits: RawCircuit[] = [];
  const open = async (): Promise<RawCircuit> => {
    const circuit = await RawCircuit.open(ioc.port);
    circuits.push(circuit);
    return circuit;
  };

  before(async () => {
    ioc = new SoftIoc({ definitions: DEFINITIONS, port: 0, beaconAddresses: [] });
    await ioc.start();
  });

  after(async () => {
    for (const circuit of circuits) circuit.close();
    await ioc.close();
  });

  it('announces its minor version first, then answers CREATE_CHAN with ACCESS_RIGHTS and the native type and count', async () => {
    const circuit = await RawCircuit.connect(ioc.port);
    circuits.push(circuit);
    const version = await circuit.next(CA_PROTO_VERSION);
    assert.equal(version.dataCount, 13);
    const channel = await circuit.createChannel('T:WF', 41);
    assert.deepStrictEqual([channel.rights, channel.nativeType, channel.nativeCount], [3, 6, 10]);
    assert.equal((await circuit.createChannel('T:RO', 42)).rights, 1);
  });

  it('refuses CREATE_CHAN for a name it does not serve with CREATE_CH_FAIL', async () => {
    const circuit = await open();
    circuit.send(createChannelRequest({ name: 'NO:SUCH:PV', cid: 7 }));
    assert.equal((await circuit.next(CA_PROTO_CREATE_CH_FAIL)).p1, 7);
  });

  it('reads DBR_TIME_DOUBLE with value, alarm and stamp, and DBR_CTRL_DOUBLE with its metadata', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:DBL', 1);
    circuit.send(readNotifyRequest({ dataType: DBR_TIME_DOUBLE, dataCount: 1, sid, ioid: 100 }), readNotifyRequest({ dataType: DBR_CTRL_DOUBLE, dataCount: 1, sid, ioid: 101 }));
    const timed = await circuit.next(CA_PROTO_READ_NOTIFY);
    assert.deepStrictEqual([timed.p1, timed.p2, timed.dataType, timed.dataCount], [ECA_NORMAL, 100, DBR_TIME_DOUBLE, 1]);
    const data = decodeDbr(DBR_TIME_DOUBLE, 1, timed.payload);
    assert.deepStrictEqual([data.value, data.status, data.severity], [[1.23456], 0, 0]);
    assert.ok(data.stamp!.secPastEpoch > 1_000_000_000);
    const ctrl = decodeDbr(DBR_CTRL_DOUBLE, 1, (await circuit.next(CA_PROTO_READ_NOTIFY)).payload);
    assert.deepStrictEqual([ctrl.units, ctrl.precision], ['mA', 3]);
    assert.deepStrictEqual(ctrl.limits, {
      upperDispLimit: 10, lowerDispLimit: -10, upperAlarmLimit: 8, upperWarningLimit: 6, lowerWarningLimit: -6, lowerAlarmLimit: -8, upperCtrlLimit: 9, lowerCtrlLimit: -9,
    });
  });

  it('reads an array with count 0 as its current elements and refuses a count over the native one with ECA_BADCOUNT', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:WF', 2);
    circuit.send(readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 0, sid, ioid: 1 }), readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 5, sid, ioid: 2 }), readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 11, sid, ioid: 3 }));
    const dynamic = await circuit.next(CA_PROTO_READ_NOTIFY);
    assert.deepStrictEqual([dynamic.dataCount, decodeDbr(DBR_DOUBLE, 3, dynamic.payload).value], [3, [1, 2, 3]]);
    const padded = await circuit.next(CA_PROTO_READ_NOTIFY);
    assert.deepStrictEqual(decodeDbr(DBR_DOUBLE, 5, padded.payload).value, [1, 2, 3, 0, 0]);
    assert.equal((await circuit.next(CA_PROTO_READ_NOTIFY)).p1, ECA_BADCOUNT);
  });

  it('converts on read: a double as text with its precision, an enum as its label, its states in GR; text as a double is ECA_BADTYPE', async () => {
    const circuit = await open();
    const dbl = await circuit.createChannel('T:DBL', 3);
    const enumeration = await circuit.createChannel('T:ENUM', 4);
    const text = await circuit.createChannel('T:STR', 5);
    circuit.send(
      readNotifyRequest({ dataType: DBR_STRING, dataCount: 1, sid: dbl.sid, ioid: 1 }),
      readNotifyRequest({ dataType: DBR_STRING, dataCount: 1, sid: enumeration.sid, ioid: 2 }),
      readNotifyRequest({ dataType: DBR_GR_ENUM, dataCount: 1, sid: enumeration.sid, ioid: 3 }),
      readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: text.sid, ioid: 4 }),
    );
    assert.deepStrictEqual(decodeDbr(DBR_STRING, 1, (await circuit.next(CA_PROTO_READ_NOTIFY)).payload).value, ['1.235']);
    assert.deepStrictEqual(decodeDbr(DBR_STRING, 1, (await circuit.next(CA_PROTO_READ_NOTIFY)).payload).value, ['On']);
    assert.deepStrictEqual(decodeDbr(DBR_GR_ENUM, 1, (await circuit.next(CA_PROTO_READ_NOTIFY)).payload).enumStrings, ['Off', 'On']);
    assert.equal((await circuit.next(CA_PROTO_READ_NOTIFY)).p1, ECA_BADTYPE);
  });

  it('writes with WRITE_NOTIFY (clamped to the drive limits), and answers ECA_NOWTACCESS and ECA_PUTFAIL where it must', async () => {
    const circuit = await open();
    const dbl = await circuit.createChannel('T:DBL', 6);
    const readOnly = await circuit.createChannel('T:RO', 7);
    const rejecting = await circuit.createChannel('T:REJ', 8);
    circuit.send(
      writeNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: dbl.sid, ioid: 1, payload: payloadOf([50]) }),
      writeNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: readOnly.sid, ioid: 2, payload: payloadOf([1]) }),
      writeNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: rejecting.sid, ioid: 3, payload: payloadOf([1]) }),
    );
    const statuses = await Promise.all([1, 2, 3].map((ioid) => circuit.find((m) => m.command === CA_PROTO_WRITE_NOTIFY && m.p2 === ioid, `write reply ${ioid}`)));
    assert.deepStrictEqual(statuses.map((m) => m.p1), [ECA_NORMAL, ECA_NOWTACCESS, ECA_PUTFAIL]);
    assert.deepStrictEqual([ioc.database.get('T:DBL')!.value, ioc.database.get('T:RO')!.value, ioc.database.get('T:REJ')!.value], [[9], [5], [0]]);
    ioc.set('T:DBL', 1.23456);
  });

  it('answers a plain WRITE to a read-only PV with an ERROR quoting the request', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:RO', 9);
    circuit.send(writeRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid, ioid: 77, payload: payloadOf([1]) }));
    const report = decodeErrorMessage(await circuit.next(CA_PROTO_ERROR));
    assert.deepStrictEqual([report.cid, report.status, report.request?.command, report.request?.p2], [9, ECA_NOWTACCESS, 4, 77]);
  });

  it('answers WRITE_NOTIFY only once a slow write has completed, after replies to later requests', async () => {
    const circuit = await open();
    const slow = await circuit.createChannel('T:SLOW', 10);
    circuit.send(
      writeNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: slow.sid, ioid: 1, payload: payloadOf([4]) }),
      readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid: slow.sid, ioid: 2 }),
    );
    const read = await circuit.next(CA_PROTO_READ_NOTIFY);
    assert.deepStrictEqual(decodeDbr(DBR_DOUBLE, 1, read.payload).value, [0]);
    assert.equal((await circuit.next(CA_PROTO_WRITE_NOTIFY)).p1, ECA_NORMAL);
    assert.deepStrictEqual(ioc.database.get('T:SLOW')!.value, [4]);
  });

  it('sends the current value on EVENT_ADD, one update per change, and confirms EVENT_CANCEL with an empty EVENT_ADD', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:DBL', 11);
    circuit.send(eventAddRequest({ dataType: DBR_TIME_DOUBLE, dataCount: 1, sid, subscriptionId: 5, mask: DBE_VALUE | DBE_ALARM }));
    const first = await circuit.next(CA_PROTO_EVENT_ADD);
    assert.deepStrictEqual([first.p1, first.p2, decodeDbr(DBR_TIME_DOUBLE, 1, first.payload).value], [ECA_NORMAL, 5, [1.23456]]);
    ioc.set('T:DBL', 2);
    ioc.set('T:DBL', 9.5);
    assert.deepStrictEqual(decodeDbr(DBR_TIME_DOUBLE, 1, (await circuit.next(CA_PROTO_EVENT_ADD)).payload).value, [2]);
    const alarmed = decodeDbr(DBR_TIME_DOUBLE, 1, (await circuit.next(CA_PROTO_EVENT_ADD)).payload);
    assert.deepStrictEqual([alarmed.value, alarmed.status, alarmed.severity], [[9.5], HIHI_ALARM, MAJOR_ALARM]);
    circuit.send(eventCancelRequest({ dataType: DBR_TIME_DOUBLE, dataCount: 1, sid, subscriptionId: 5 }));
    const cancelled = await circuit.next(CA_PROTO_EVENT_ADD);
    assert.deepStrictEqual([cancelled.payloadSize, cancelled.p1, cancelled.p2], [0, sid, 5]);
    ioc.set('T:DBL', 1.23456);
    circuit.send(echoMessage());
    await circuit.next(CA_PROTO_ECHO);
    circuit.send(eventCancelRequest({ dataType: DBR_TIME_DOUBLE, dataCount: 1, sid, subscriptionId: 5 }));
    assert.equal((await circuit.next(CA_PROTO_ERROR)).p2, ECA_BADMONID);
  });

  it('sends an ALARM-only subscription alarm changes but not value changes', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:DBL', 12);
    circuit.send(eventAddRequest({ dataType: DBR_TIME_DOUBLE, dataCount: 1, sid, subscriptionId: 6, mask: DBE_ALARM }));
    await circuit.next(CA_PROTO_EVENT_ADD);
    ioc.set('T:DBL', 2);
    ioc.alarm('T:DBL', 'COMM', 'INVALID');
    const update = decodeDbr(DBR_TIME_DOUBLE, 1, (await circuit.next(CA_PROTO_EVENT_ADD)).payload);
    assert.deepStrictEqual([update.value, update.status, update.severity], [[2], 9, 3]);
    ioc.alarm('T:DBL', 'NO_ALARM', 'NO_ALARM');
    await circuit.next(CA_PROTO_EVENT_ADD);
    ioc.set('T:DBL', 1.23456);
  });

  it('coalesces updates while EVENTS_OFF is in force and sends the latest on EVENTS_ON', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:WF', 13);
    circuit.send(eventAddRequest({ dataType: DBR_DOUBLE, dataCount: 0, sid, subscriptionId: 7, mask: DBE_VALUE }));
    await circuit.next(CA_PROTO_EVENT_ADD);
    circuit.send(eventsOffMessage(), echoMessage());
    await circuit.next(CA_PROTO_ECHO);
    for (let i = 1; i <= 20; i++) ioc.set('T:WF', [i, i]);
    circuit.send(echoMessage(), eventsOnMessage());
    await circuit.next(CA_PROTO_ECHO);
    const latest = await circuit.next(CA_PROTO_EVENT_ADD);
    assert.deepStrictEqual([latest.dataCount, decodeDbr(DBR_DOUBLE, 2, latest.payload).value], [2, [20, 20]]);
    circuit.send(echoMessage());
    await circuit.next(CA_PROTO_ECHO);
    ioc.set('T:WF', [1, 2, 3]);
  });

  it('echoes ECHO and READ_SYNC, confirms CLEAR_CHANNEL, and answers requests for unknown channels with ECA_BADCHID', async () => {
    const circuit = await open();
    const { sid } = await circuit.createChannel('T:DBL', 14);
    circuit.send(readSyncMessage(), clearChannelMessage({ sid, cid: 14 }), readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid, ioid: 9 }));
    await circuit.next(CA_PROTO_READ_SYNC);
    const cleared = await circuit.next(CA_PROTO_CLEAR_CHANNEL);
    assert.deepStrictEqual([cleared.p1, cleared.p2], [sid, 14]);
    const error = await circuit.next(CA_PROTO_ERROR);
    assert.deepStrictEqual([error.p1, error.p2], [0xffffffff, ECA_BADCHID]);
  });

  it('answers TCP searches: SEARCH for a served name, NOT_FOUND for others when asked to reply', async () => {
    const circuit = await open();
    circuit.send(searchRequest({ name: 'T:DBL', cid: 21, reply: DOREPLY }), searchRequest({ name: 'NOPE', cid: 22, reply: DOREPLY }), searchRequest({ name: 'NOPE', cid: 23 }), echoMessage());
    const found = await circuit.next(CA_PROTO_SEARCH);
    assert.deepStrictEqual([found.dataType, found.p2], [ioc.port, 21]);
    assert.equal((await circuit.next(CA_PROTO_NOT_FOUND)).p2, 22);
    await circuit.next(CA_PROTO_ECHO);
  });

  it('tells connected clients of access changes with ACCESS_RIGHTS and of a removed PV with SERVER_DISCONN', async () => {
    ioc.add({ name: 'T:TEMP', type: 'double', value: 1 });
    const circuit = await open();
    await circuit.createChannel('T:TEMP', 31);
    ioc.access('T:TEMP', { write: false });
    const rights = await circuit.next(CA_PROTO_ACCESS_RIGHTS);
    assert.deepStrictEqual([rights.p1, rights.p2], [31, 1]);
    ioc.remove('T:TEMP');
    assert.equal((await circuit.next(CA_PROTO_SERVER_DISCONN)).p1, 31);
  });

  it('closes a circuit that sends garbage or an oversized header, and keeps serving the others', async () => {
    const healthy = await open();
    const { sid } = await healthy.createChannel('T:DBL', 41);
    const garbage = await open();
    garbage.send(encodeMessage({ command: 1, payload: Buffer.alloc(8) }));
    garbage.send(Buffer.from('ffff ffff 0001 0000 0000 0000 0000 0000 7fff ffff 0000 0000'.replace(/ /g, ''), 'hex'));
    await garbage.waitClosed();
    const unknown = await open();
    unknown.send(encodeMessage({ command: 99 }), echoMessage());
    assert.equal((await unknown.next(CA_PROTO_ERROR)).p2, ECA_INTERNAL);
    await unknown.next(CA_PROTO_ECHO);
    healthy.send(readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid, ioid: 1 }));
    assert.equal((await healthy.next(CA_PROTO_READ_NOTIFY)).p1, ECA_NORMAL);
  });
});
