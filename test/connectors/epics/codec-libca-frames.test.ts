import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeChannelName, decodeDatagram, decodeDbr, decodeMonitorInfo, type CaMessage } from '../../../src/connectors/epics/ca/codec.ts';
import { commandName } from '../../../src/connectors/epics/ca/constants.ts';

interface Capture {
  operations: { op: string; frames: { transport: 'udp' | 'tcp'; hex: string }[] }[];
}

/** frames Debian's libca sent to our soft IOC, made by test/fixtures/ca/capture-libca-frames.ts */
const capture = JSON.parse(fs.readFileSync(new URL('../../fixtures/ca/libca-frames.json', import.meta.url), 'utf8')) as Capture;

function messages(op: string): CaMessage[] {
  const operation = capture.operations.find((o) => o.op === op);
  assert.ok(operation, `no capture for ${op}`);
  return operation.frames.flatMap((frame) => decodeDatagram(Buffer.from(frame.hex, 'hex')));
}

/** command, data type, count and payload size of each message (ids and names aside) */
const shape = (list: CaMessage[]): string[] => list.map((m) => `${commandName(m.command)} ${m.dataType} ${m.dataCount} ${m.payloadSize}`);

describe('frames captured from Debian libca decode with our codec', () => {
  it('decodes every captured frame completely', () => {
    for (const operation of capture.operations) {
      for (const frame of operation.frames) {
        const bytes = Buffer.from(frame.hex, 'hex');
        const decoded = decodeDatagram(bytes);
        assert.equal(decoded.reduce((sum, m) => sum + 16 + m.payloadSize, 0), bytes.length, `${operation.op}: ${frame.hex}`);
      }
    }
  });

  it('connects as libca does: UDP VERSION + SEARCH, then VERSION, CLIENT_NAME, HOST_NAME, CREATE_CHAN and READ_NOTIFY with count 0', () => {
    const list = messages('connect and get DBR_TIME_DOUBLE');
    assert.deepStrictEqual(shape(list), [
      'VERSION 1 13 0', 'SEARCH 5 13 16', // UDP: sequence number valid, DONTREPLY, minor 13
      'VERSION 0 13 0', 'CLIENT_NAME 0 0 8', 'HOST_NAME 0 0 8', 'CREATE_CHAN 0 0 16', 'READ_NOTIFY 20 0 0',
    ]);
    const search = list[1]!;
    assert.equal(search.p1, search.p2, 'a UDP SEARCH carries the cid in both p1 and p2');
    assert.equal(decodeChannelName(search.payload), 'SIM:1:SP');
    assert.equal(list[5]!.p2, 13, 'CREATE_CHAN p2 is the client minor revision');
  });

  it('writes with callback as WRITE_NOTIFY of the native type, a scalar string cut to its length', () => {
    const [write] = messages('put with callback (double)');
    assert.deepStrictEqual(shape([write!]), ['WRITE_NOTIFY 6 1 8']);
    assert.deepStrictEqual(decodeDbr(6, 1, write!.payload).value, [12.5]);
    const stringWrite = messages('connect and put with callback (string)').at(-1)!;
    assert.deepStrictEqual(shape([stringWrite]), ['WRITE_NOTIFY 0 1 8']);
    assert.deepStrictEqual(decodeDbr(0, 1, stringWrite.payload).value, ['world']);
  });

  it('subscribes with EVENT_ADD of DBR_TIME, count 0 and the VALUE|ALARM mask', () => {
    const eventAdd = messages('connect and monitor DBR_TIME_DOUBLE').at(-1)!;
    assert.deepStrictEqual(shape([eventAdd]), ['EVENT_ADD 20 0 16']);
    assert.deepStrictEqual(decodeMonitorInfo(eventAdd.payload), { low: 0, high: 0, timeout: 0, mask: 5 });
  });
});
