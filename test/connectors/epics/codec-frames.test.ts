import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CA_EXTENDED_HEADER_SIZE,
  CA_HEADER_SIZE,
  CaFrameSplitter,
  CaProtocolError,
  decodeDatagram,
  decodeHeader,
  encodeHeader,
  encodeMessage,
  type CaMessage,
  type CaMessageFields,
} from '../../../src/connectors/epics/ca/codec.ts';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const messageFields: fc.Arbitrary<CaMessageFields> = fc.record({
  command: u16,
  dataType: u16,
  dataCount: fc.oneof(u16, u32),
  p1: u32,
  p2: u32,
  payload: fc.oneof({ weight: 30, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 0xfff0, maxLength: 0x10010 }) }).map((a) => Buffer.from(a)),
});

/** what the receiver must see for `fields`: the payload zero-padded to a multiple of 8 */
function expected(fields: CaMessageFields): CaMessage {
  const raw = fields.payload ?? Buffer.alloc(0);
  const payload = Buffer.alloc((raw.length + 7) & ~7);
  raw.copy(payload);
  return { command: fields.command, payloadSize: payload.length, dataType: fields.dataType ?? 0, dataCount: fields.dataCount ?? 0, p1: fields.p1 ?? 0, p2: fields.p2 ?? 0, payload };
}

/** splits `bytes` at the given cut points (any order, duplicates allowed) */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('CA message framing', () => {
  it('encodes a standard 16-byte big-endian header with the payload padded to 8 bytes', () => {
    const frame = encodeMessage({ command: 6, dataType: 5, dataCount: 13, p1: 0x01020304, p2: 0x0a0b0c0d, payload: Buffer.from('PV:1\0') });
    assert.equal(frame.toString('hex'), '00060008' + '0005000d' + '01020304' + '0a0b0c0d' + '50563a3100000000');
  });

  it('uses the extended header when the payload reaches 0xFFFF bytes or the count exceeds 0xFFFF', () => {
    const big = encodeMessage({ command: 1, dataType: 6, dataCount: 70000, p1: 1, p2: 2, payload: Buffer.alloc(560000) });
    assert.equal(big.readUInt16BE(2), 0xffff);
    assert.equal(big.readUInt16BE(6), 0);
    assert.equal(big.readUInt32BE(16), 560000);
    assert.equal(big.readUInt32BE(20), 70000);
    assert.equal(big.length, CA_EXTENDED_HEADER_SIZE + 560000);
    const countOnly = encodeMessage({ command: 15, dataType: 4, dataCount: 0x10000 });
    assert.equal(countOnly.length, CA_EXTENDED_HEADER_SIZE);
    assert.deepStrictEqual(decodeHeader(countOnly), { header: { command: 15, payloadSize: 0, dataType: 4, dataCount: 0x10000, p1: 0, p2: 0 }, headerSize: 24 });
    assert.equal(encodeMessage({ command: 15, dataCount: 0xffff }).length, CA_HEADER_SIZE);
  });

  it('round-trips any message through encode and datagram decode', () => {
    fc.assert(
      fc.property(fc.array(messageFields, { maxLength: 4 }), (all) => {
        const datagram = Buffer.concat(all.map(encodeMessage));
        assert.deepStrictEqual(decodeDatagram(datagram), all.map(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('reassembles messages split across TCP chunks at any byte, headers included', () => {
    fc.assert(
      fc.property(fc.array(messageFields, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (all, cuts) => {
        const stream = Buffer.concat(all.map(encodeMessage));
        const splitter = new CaFrameSplitter();
        const received = chunked(stream, cuts).flatMap((chunk) => splitter.push(chunk));
        assert.deepStrictEqual(received, all.map(expected));
        assert.equal(splitter.bufferedBytes, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('reassembles a stream fed one byte at a time around the headers', () => {
    const frames = [encodeMessage({ command: 23 }), encodeMessage({ command: 1, dataType: 6, dataCount: 70000, payload: Buffer.alloc(70000 * 8, 1) }), encodeMessage({ command: 22, p1: 4, p2: 3 })];
    const stream = Buffer.concat(frames);
    const splitter = new CaFrameSplitter();
    const received: CaMessage[] = [];
    for (let i = 0; i < stream.length; ) {
      const step = i < 100 || stream.length - i < 100 ? 1 : 4096;
      received.push(...splitter.push(stream.subarray(i, i + step)));
      i += step;
    }
    assert.deepStrictEqual(received.map((m) => [m.command, m.payloadSize, m.dataCount]), [[23, 0, 0], [1, 560000, 70000], [22, 0, 0]]);
  });

  it('refuses a header announcing a payload over the limit with CaProtocolError', () => {
    const splitter = new CaFrameSplitter({ maxPayloadSize: 1024 });
    assert.throws(() => splitter.push(encodeMessage({ command: 1, payload: Buffer.alloc(2048) })), /over the 1024-byte limit/);
  });

  it('throws only CaProtocolError when a datagram is truncated or garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeDatagram(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof CaProtocolError, `unexpected ${(err as Error).name}`);
        }
      }),
      { numRuns: 2000 },
    );
    const whole = encodeMessage({ command: 6, payload: Buffer.from('NAME') });
    assert.throws(() => decodeDatagram(whole.subarray(0, whole.length - 1)), CaProtocolError);
    assert.throws(() => decodeDatagram(whole.subarray(0, 10)), CaProtocolError);
  });

  it('throws only CaProtocolError while splitting a garbage TCP stream', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }), (chunks) => {
        const splitter = new CaFrameSplitter({ maxPayloadSize: 4096 });
        try {
          for (const chunk of chunks) splitter.push(Buffer.from(chunk));
        } catch (err) {
          assert.ok(err instanceof CaProtocolError, `unexpected ${(err as Error).name}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes a header alone, as an ERROR message quotes the offending request', () => {
    const header = { command: 4, payloadSize: 8, dataType: 6, dataCount: 1, p1: 9, p2: 10 };
    assert.equal(encodeHeader(header).toString('hex'), '00040008' + '00060001' + '00000009' + '0000000a');
    assert.throws(() => encodeMessage({ command: 0x10000 }), CaProtocolError);
    assert.throws(() => encodeMessage({ command: 1, p1: -1 }), CaProtocolError);
  });
});
