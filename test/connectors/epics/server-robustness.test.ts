import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { setImmediate as turn } from 'node:timers/promises';
import fc from 'fast-check';
import { decodeDatagram, decodeDbr, eventAddRequest, readNotifyRequest, searchRequest, udpVersionMessage, versionMessage } from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_EVENT_ADD, CA_PROTO_READ_NOTIFY, CA_PROTO_SEARCH, DBE_VALUE, DBR_DOUBLE, ECA_NORMAL } from '../../../src/connectors/epics/ca/constants.ts';
import { SoftIoc } from '../../../src/connectors/epics/softioc/index.ts';
import { RawCircuit } from './server-harness.ts';

const UPDATES = 3000;
const UPDATE_BYTES = 16 + 1024 * 8;

describe('CA server under slow clients and bad input', () => {
  let ioc: SoftIoc;

  before(async () => {
    ioc = new SoftIoc({ definitions: [{ name: 'R:WF', type: 'double', count: 1024 }, { name: 'R:X', type: 'long', value: 3 }], port: 0, beaconAddresses: [] });
    await ioc.start();
  });

  after(async () => {
    await ioc.close();
  });

  it('keeps at most about 1 MiB queued for a client that stops reading, and then sends it the latest value', async () => {
    const circuit = await RawCircuit.open(ioc.port);
    const { sid } = await circuit.createChannel('R:WF', 1);
    circuit.send(eventAddRequest({ dataType: DBR_DOUBLE, dataCount: 0, sid, subscriptionId: 1, mask: DBE_VALUE }));
    await circuit.next(CA_PROTO_EVENT_ADD);
    circuit.socket.pause();
    let mostBuffered = 0;
    for (let i = 1; i <= UPDATES; i++) {
      ioc.set('R:WF', new Array<number>(1024).fill(i));
      if (i % 50 === 0) {
        await turn();
        mostBuffered = Math.max(mostBuffered, ioc.server.stats().bufferedBytes);
      }
    }
    assert.ok(mostBuffered <= 1024 * 1024 + UPDATE_BYTES, `${mostBuffered} bytes queued`);
    circuit.socket.resume();
    const last = await circuit.find((m) => m.command === CA_PROTO_EVENT_ADD && decodeDbr(DBR_DOUBLE, 1, m.payload).value[0] === UPDATES, 'the latest update', 10_000);
    assert.equal(last.dataCount, 1024);
    // the updates still queued here arrived before the latest one: fewer than one per set
    const received = circuit.pending.length + 1;
    assert.ok(received < UPDATES, `${received} of ${UPDATES} updates were sent`);
    circuit.close();
  });

  it('survives random bytes on TCP circuits and in UDP datagrams, and keeps serving the others', async () => {
    const healthy = await RawCircuit.open(ioc.port);
    const { sid } = await healthy.createChannel('R:X', 2);
    const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: 60, seed: 42 });
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    for (const [i, bytes] of samples.entries()) {
      udp.send(bytes, ioc.port, '127.0.0.1');
      const victim = await RawCircuit.connect(ioc.port);
      // half of them first say VERSION properly, so the garbage reaches the request handlers
      victim.send(...(i % 2 ? [versionMessage()] : []), Buffer.from(bytes));
      victim.close();
    }
    healthy.send(readNotifyRequest({ dataType: DBR_DOUBLE, dataCount: 1, sid, ioid: 5 }));
    const read = await healthy.next(CA_PROTO_READ_NOTIFY);
    assert.deepStrictEqual([read.p1, decodeDbr(DBR_DOUBLE, 1, read.payload).value], [ECA_NORMAL, [3]]);
    const answered = new Promise<Buffer>((resolve) => udp.once('message', resolve));
    udp.send(Buffer.concat([udpVersionMessage({ sequenceNumber: 1 }), searchRequest({ name: 'R:X', cid: 77 })]), ioc.port, '127.0.0.1');
    const reply = decodeDatagram(await answered).find((m) => m.command === CA_PROTO_SEARCH);
    assert.equal(reply?.p2, 77);
    udp.close();
    healthy.close();
  });
});
