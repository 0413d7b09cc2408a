import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CaProtocolError,
  accessRightsMessage,
  beaconMessage,
  createChannelRequest,
  createChannelResponse,
  decodeAccessRights,
  decodeBeacon,
  decodeChannelName,
  decodeDatagram,
  decodeErrorMessage,
  decodeMonitorInfo,
  decodeSearchResponse,
  errorMessage,
  eventAddRequest,
  eventCancelResponse,
  ipv4ToNumber,
  numberToIpv4,
  searchRequest,
  searchResponse,
  udpVersionMessage,
  writeNotifyResponse,
  type CaMessage,
} from '../../../src/connectors/epics/ca/codec.ts';
import { DBE_ALARM, DBE_VALUE, DOREPLY, ECA_NOWTACCESS } from '../../../src/connectors/epics/ca/constants.ts';

function only(frame: Buffer): CaMessage {
  const messages = decodeDatagram(frame);
  assert.equal(messages.length, 1);
  return messages[0]!;
}

function headerOf(message: CaMessage): number[] {
  return [message.command, message.payloadSize, message.dataType, message.dataCount, message.p1, message.p2];
}

describe('CA command messages', () => {
  it('builds a UDP search datagram as libca does: VERSION with a sequence number, then SEARCH with the name', () => {
    const [version, search] = decodeDatagram(Buffer.concat([udpVersionMessage({ sequenceNumber: 7 }), searchRequest({ name: 'SIM:1:SP', cid: 42, reply: DOREPLY })]));
    assert.deepStrictEqual(headerOf(version!), [0, 0, 1, 13, 7, 0]);
    assert.deepStrictEqual(headerOf(search!), [6, 16, 10, 13, 42, 42]);
    assert.equal(decodeChannelName(search!.payload), 'SIM:1:SP');
  });

  it('round-trips a search reply, mapping 0xFFFFFFFF to "use the sender address"', () => {
    assert.deepStrictEqual(decodeSearchResponse(only(searchResponse({ port: 5064, cid: 3 }))), { port: 5064, serverAddress: undefined, cid: 3, minorVersion: 13 });
    assert.deepStrictEqual(decodeSearchResponse(only(searchResponse({ port: 6000, cid: 4, serverAddress: ipv4ToNumber('10.0.0.2') }))), { port: 6000, serverAddress: '10.0.0.2', cid: 4, minorVersion: 13 });
  });

  it('puts cid and minor version in CREATE_CHAN requests, native type/count and sid in replies', () => {
    const request = only(createChannelRequest({ name: 'X', cid: 5 }));
    assert.deepStrictEqual(headerOf(request), [18, 8, 0, 0, 5, 13]);
    assert.deepStrictEqual(headerOf(only(createChannelResponse({ nativeType: 6, nativeCount: 1024, cid: 5, sid: 99 }))), [18, 0, 6, 1024, 5, 99]);
  });

  it('encodes access rights as p2 bits 0 (read) and 1 (write)', () => {
    const readOnly = only(accessRightsMessage({ cid: 1, read: true, write: false }));
    assert.equal(readOnly.p2, 1);
    assert.deepStrictEqual(decodeAccessRights(readOnly), { read: true, write: false });
    assert.deepStrictEqual(decodeAccessRights(only(accessRightsMessage({ cid: 1, read: true, write: true }))), { read: true, write: true });
  });

  it('round-trips the EVENT_ADD mon_info payload and refuses a short one', () => {
    const message = only(eventAddRequest({ dataType: 20, dataCount: 1, sid: 2, subscriptionId: 3, mask: DBE_VALUE | DBE_ALARM }));
    assert.deepStrictEqual(headerOf(message), [1, 16, 20, 1, 2, 3]);
    assert.deepStrictEqual(decodeMonitorInfo(message.payload), { low: 0, high: 0, timeout: 0, mask: 5 });
    assert.throws(() => decodeMonitorInfo(Buffer.alloc(8)), CaProtocolError);
  });

  it('confirms an EVENT_CANCEL with an empty EVENT_ADD and a WRITE_NOTIFY with the ECA status in p1', () => {
    assert.deepStrictEqual(headerOf(only(eventCancelResponse({ dataType: 20, dataCount: 1, sid: 2, subscriptionId: 3 }))), [1, 0, 20, 1, 2, 3]);
    assert.deepStrictEqual(headerOf(only(writeNotifyResponse({ dataType: 6, dataCount: 1, status: ECA_NOWTACCESS, ioid: 8 }))), [19, 0, 6, 1, 376, 8]);
  });

  it('quotes the refused request and a message in ERROR, and decodes both back', () => {
    const request = { command: 4, payloadSize: 8, dataType: 6, dataCount: 1, p1: 11, p2: 12 };
    const report = decodeErrorMessage(only(errorMessage({ cid: 3, status: ECA_NOWTACCESS, request, message: 'write access denied' })));
    assert.deepStrictEqual(report, { cid: 3, status: 376, request, message: 'write access denied' });
  });

  it('puts minor version, port, beacon id and address in a beacon', () => {
    const beacon = only(beaconMessage({ port: 5064, beaconId: 17, serverAddress: ipv4ToNumber('127.0.0.1') }));
    assert.deepStrictEqual(headerOf(beacon), [13, 0, 13, 5064, 17, 0x7f000001]);
    assert.deepStrictEqual(decodeBeacon(beacon), { minorVersion: 13, port: 5064, beaconId: 17, serverAddress: '127.0.0.1' });
    assert.equal(decodeBeacon(only(beaconMessage({ port: 1, beaconId: 0 }))).serverAddress, undefined);
  });

  it('converts IPv4 text and numbers both ways and refuses malformed addresses', () => {
    assert.equal(ipv4ToNumber('192.168.1.255'), 0xc0a801ff);
    assert.equal(numberToIpv4(0xc0a801ff), '192.168.1.255');
    assert.throws(() => ipv4ToNumber('1.2.3'), CaProtocolError);
    assert.throws(() => ipv4ToNumber('1.2.3.256'), CaProtocolError);
  });

  it('refuses empty and unreasonably long channel names', () => {
    assert.throws(() => decodeChannelName(Buffer.alloc(8)), /empty channel name/);
    assert.throws(() => decodeChannelName(Buffer.from('x'.repeat(501))), CaProtocolError);
    assert.equal(decodeChannelName(Buffer.from('ABC')), 'ABC');
  });
});
