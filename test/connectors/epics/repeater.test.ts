import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { beaconMessage, decodeBeacon, decodeDatagram, ipv4ToNumber, repeaterRegisterMessage, type CaMessage } from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_RSRV_IS_UP, CA_PROTO_VERSION, REPEATER_CONFIRM } from '../../../src/connectors/epics/ca/constants.ts';
import { CaRepeater } from '../../../src/connectors/epics/ca/repeater.ts';

/** a client UDP socket that queues the CA messages it receives */
async function client(): Promise<{ socket: dgram.Socket; port: number; next: (command: number) => Promise<CaMessage> }> {
  const socket = dgram.createSocket('udp4');
  const queue: CaMessage[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    queue.push(...decodeDatagram(data));
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const next = async (command: number): Promise<CaMessage> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const index = queue.findIndex((m) => m.command === command);
      if (index !== -1) return queue.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no command ${command} within 3 s`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100).unref();
      });
    }
  };
  return { socket, port: socket.address().port, next };
}

describe('CA repeater', () => {
  let repeater: CaRepeater;

  before(async () => {
    repeater = new CaRepeater({ port: 0, bindAddress: '127.0.0.1' });
    await repeater.start();
  });

  after(async () => {
    await repeater.stop();
  });

  it('confirms a registration with REPEATER_CONFIRM carrying the client address', async () => {
    const a = await client();
    a.socket.send(repeaterRegisterMessage(ipv4ToNumber('127.0.0.1')), repeater.port, '127.0.0.1');
    assert.equal((await a.next(REPEATER_CONFIRM)).p2, 0x7f000001);
    assert.ok(repeater.clients.some((c) => c.port === a.port));
    a.socket.close();
  });

  it('fans beacons out to every registered client but the sender, filling in a zero server address', async () => {
    const a = await client();
    const b = await client();
    for (const c of [a, b]) {
      c.socket.send(repeaterRegisterMessage(ipv4ToNumber('127.0.0.1')), repeater.port, '127.0.0.1');
      await c.next(REPEATER_CONFIRM);
    }
    await a.next(CA_PROTO_VERSION); // the no-op a hears when b registers
    b.socket.send(beaconMessage({ port: 5064, beaconId: 7 }), repeater.port, '127.0.0.1');
    assert.deepStrictEqual(decodeBeacon(await a.next(CA_PROTO_RSRV_IS_UP)), { minorVersion: 13, port: 5064, beaconId: 7, serverAddress: '127.0.0.1' });
    const server = await client();
    server.socket.send(beaconMessage({ port: 6000, beaconId: 8, serverAddress: ipv4ToNumber('10.1.2.3') }), repeater.port, '127.0.0.1');
    // the first beacon b hears is the server's: its own (id 7) was not reflected back to it
    assert.deepStrictEqual(decodeBeacon(await b.next(CA_PROTO_RSRV_IS_UP)), { minorVersion: 13, port: 6000, beaconId: 8, serverAddress: '10.1.2.3' });
    assert.equal(decodeBeacon(await a.next(CA_PROTO_RSRV_IS_UP)).beaconId, 8);
    for (const c of [a, b, server]) c.socket.close();
  });

  it('forgets clients whose port nobody holds any more', async () => {
    const gone = await client();
    gone.socket.send(repeaterRegisterMessage(ipv4ToNumber('127.0.0.1')), repeater.port, '127.0.0.1');
    await gone.next(REPEATER_CONFIRM);
    const alive = await client();
    alive.socket.send(repeaterRegisterMessage(ipv4ToNumber('127.0.0.1')), repeater.port, '127.0.0.1');
    await alive.next(REPEATER_CONFIRM);
    await new Promise<void>((resolve) => gone.socket.close(resolve));
    await repeater.pruneClients();
    assert.deepStrictEqual(repeater.clients.map((c) => c.port), [alive.port]);
    alive.socket.close();
  });

  it('does not start a second repeater on a taken port', async () => {
    assert.equal(await CaRepeater.startIfFree({ port: repeater.port, bindAddress: '127.0.0.1' }), undefined);
    await assert.rejects(new CaRepeater({ port: repeater.port, bindAddress: '127.0.0.1' }).start(), { code: 'EADDRINUSE' });
  });
});
