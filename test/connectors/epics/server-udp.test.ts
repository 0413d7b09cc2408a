import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import {
  decodeBeacon,
  decodeDatagram,
  decodeSearchResponse,
  echoMessage,
  encodeMessage,
  searchRequest,
  udpVersionMessage,
  type CaMessage,
} from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_ECHO, CA_PROTO_SEARCH, CA_PROTO_VERSION, sequenceNoIsValid } from '../../../src/connectors/epics/ca/constants.ts';
import { SoftIoc, generatedPvDefinitions } from '../../../src/connectors/epics/softioc/index.ts';
import { RawCircuit } from './server-harness.ts';

/** A UDP socket that queues the datagrams it receives. */
class Datagrams {
  readonly socket = dgram.createSocket('udp4');
  readonly #queue: { data: Buffer; at: number }[] = [];
  #wake: (() => void) | undefined;

  async bind(): Promise<number> {
    this.socket.on('message', (data) => {
      this.#queue.push({ data, at: performance.now() });
      this.#wake?.();
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  send(port: number, ...frames: Buffer[]): void {
    this.socket.send(Buffer.concat(frames), port, '127.0.0.1');
  }

  async next(timeoutMs = 3000): Promise<{ data: Buffer; at: number }> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      if (Date.now() > deadline) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50).unref();
      });
    }
    return this.#queue.shift()!;
  }

  close(): void {
    this.socket.close();
  }
}

describe('CA server: UDP name search', () => {
  let ioc: SoftIoc;
  let client: Datagrams;

  before(async () => {
    ioc = new SoftIoc({ definitions: generatedPvDefinitions(5000), port: 0, beaconAddresses: [] });
    await ioc.start();
    client = new Datagrams();
    await client.bind();
  });

  after(async () => {
    client.close();
    await ioc.close();
  });

  it('answers only the names it serves, in one datagram led by a VERSION echoing the sequence number', async () => {
    client.send(ioc.port, udpVersionMessage({ sequenceNumber: 4242 }), searchRequest({ name: 'SIM:1:SP', cid: 1 }), searchRequest({ name: 'NOT:SERVED', cid: 2 }), searchRequest({ name: 'SIM:2:RB', cid: 3 }));
    const [version, ...replies] = decodeDatagram((await client.next()).data);
    assert.deepStrictEqual([version!.command, version!.dataType, version!.dataCount, version!.p1], [CA_PROTO_VERSION, sequenceNoIsValid, 13, 4242]);
    assert.deepStrictEqual(replies.map(decodeSearchResponse), [
      { port: ioc.port, serverAddress: undefined, cid: 1, minorVersion: 13 },
      { port: ioc.port, serverAddress: undefined, cid: 3, minorVersion: 13 },
    ]);
  });

  it('honours the client revision: no VERSION header before minor 11, no answer at all before minor 4', async () => {
    client.send(ioc.port, searchRequest({ name: 'SIM:1:SP', cid: 5, minorVersion: 10 }));
    assert.deepStrictEqual(decodeDatagram((await client.next()).data).map((m) => [m.command, m.p2]), [[CA_PROTO_SEARCH, 5]]);
    client.send(ioc.port, searchRequest({ name: 'SIM:1:SP', cid: 6, minorVersion: 3 }));
    client.send(ioc.port, udpVersionMessage({ sequenceNumber: 1 }), searchRequest({ name: 'SIM:1:SP', cid: 7 }));
    const replies = decodeDatagram((await client.next()).data).filter((m) => m.command === CA_PROTO_SEARCH);
    assert.deepStrictEqual(replies.map((m) => m.p2), [7]);
  });

  it('drops garbage datagrams whole and keeps answering', async () => {
    client.send(ioc.port, Buffer.from('not a CA datagram at all'));
    client.send(ioc.port, udpVersionMessage({ sequenceNumber: 1 }), encodeMessage({ command: CA_PROTO_SEARCH, dataCount: 13, p2: 8, payload: Buffer.alloc(0) }), searchRequest({ name: 'SIM:3:SP', cid: 9 }).subarray(0, 20));
    client.send(ioc.port, udpVersionMessage({ sequenceNumber: 2 }), searchRequest({ name: 'SIM:3:SP', cid: 10 }));
    const replies = decodeDatagram((await client.next()).data).filter((m) => m.command === CA_PROTO_SEARCH);
    assert.deepStrictEqual(replies.map((m) => m.p2), [10]);
  });

  it('answers 10,000 searches without losing one, at most 1,400 bytes of replies per datagram', async () => {
    const names = ioc.database.names().filter((name) => /:\d+:(SP|RB)$/.test(name));
    assert.equal(names.length, 10_000);
    const answered = new Set<number>();
    let batch: Buffer[] = [];
    let cid = 100_000;
    const flush = async (): Promise<void> => {
      const expected = batch.length;
      client.send(ioc.port, udpVersionMessage({ sequenceNumber: cid }), ...batch);
      batch = [];
      let received = 0;
      while (received < expected) {
        const datagram = (await client.next()).data;
        const replies = decodeDatagram(datagram).filter((m: CaMessage) => m.command === CA_PROTO_SEARCH);
        assert.ok(datagram.length - 16 <= 1400, `datagram of ${datagram.length} bytes`);
        for (const reply of replies) answered.add(reply.p2);
        received += replies.length;
      }
    };
    let bytes = 0;
    for (const name of names) {
      const request = searchRequest({ name, cid: cid++ });
      if (bytes + request.length > 1400) {
        await flush();
        bytes = 0;
      }
      batch.push(request);
      bytes += request.length;
    }
    await flush();
    assert.equal(answered.size, 10_000);
  });
});

describe('CA server: beacons and lifecycle hooks', () => {
  let ioc: SoftIoc;
  let beacons: Datagrams;

  before(async () => {
    beacons = new Datagrams();
    const beaconPort = await beacons.bind();
    ioc = new SoftIoc({ definitions: generatedPvDefinitions(1), port: 0, beaconAddresses: ['127.0.0.1'], beaconPort, beaconPeriodMs: 200 });
    await ioc.start();
  });

  after(async () => {
    beacons.close();
    await ioc.close();
  });

  it('sends beacons with ids counting from 0 at intervals doubling from 20 ms, and from 0 again after a restart', async () => {
    const received = [];
    for (let i = 0; i < 5; i++) received.push(await beacons.next());
    const decoded = received.map((b) => decodeBeacon(decodeDatagram(b.data)[0]!));
    assert.deepStrictEqual(decoded.map((b) => [b.beaconId, b.port, b.minorVersion, b.serverAddress]), [0, 1, 2, 3, 4].map((id) => [id, ioc.port, 13, '127.0.0.1']));
    // timers never fire early: the fourth interval was scheduled at 80 ms, the first at 20 ms
    assert.ok(received[4]!.at - received[3]!.at >= 75, `fourth interval ${received[4]!.at - received[3]!.at} ms`);
    const port = ioc.port;
    await ioc.restart();
    assert.equal(ioc.port, port);
    let restarted = decodeBeacon(decodeDatagram((await beacons.next()).data)[0]!);
    while (restarted.beaconId !== 0) restarted = decodeBeacon(decodeDatagram((await beacons.next()).data)[0]!);
    assert.equal(restarted.beaconId, 0);
  });

  it('drops every circuit on `drop`, and serves again on the same port after stop and start', async () => {
    const circuit = await RawCircuit.open(ioc.port);
    assert.equal(ioc.drop(), 1);
    await circuit.waitClosed();
    const port = ioc.port;
    await ioc.stop();
    await assert.rejects(RawCircuit.connect(port), /ECONNREFUSED/);
    await ioc.server.start();
    const again = await RawCircuit.open(port);
    again.send(echoMessage());
    await again.next(CA_PROTO_ECHO);
    again.close();
  });

  it('answers nothing while frozen and everything once thawed', async () => {
    const circuit = await RawCircuit.open(ioc.port);
    ioc.server.setFrozen(true);
    circuit.send(echoMessage());
    await assert.rejects(circuit.next(CA_PROTO_ECHO, 300), /no ECHO within 300 ms/);
    ioc.server.setFrozen(false);
    await circuit.next(CA_PROTO_ECHO);
    circuit.close();
  });
});
