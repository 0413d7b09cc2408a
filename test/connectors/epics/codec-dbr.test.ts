import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CaProtocolError,
  castToFieldType,
  dbrClass,
  dbrFieldType,
  dbrSizeN,
  dbrTypeOf,
  dbrValueOffset,
  decodeDbr,
  encodeDbr,
  type DbrClass,
  type DbrData,
} from '../../../src/connectors/epics/ca/codec.ts';
import {
  DBF_CHAR,
  DBF_DOUBLE,
  DBF_ENUM,
  DBF_FLOAT,
  DBF_LONG,
  DBF_SHORT,
  DBF_STRING,
  DBR_CTRL_DOUBLE,
  DBR_GR_ENUM,
  DBR_TIME_DOUBLE,
} from '../../../src/connectors/epics/ca/constants.ts';

const CLASSES: DbrClass[] = ['plain', 'sts', 'time', 'gr', 'ctrl'];

/** text that fits a fixed slot of `slotSize` bytes with its NUL */
function fixedText(slotSize: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', '_', ':', '°', 'é', '9'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength })
    .filter((s) => !s.includes('\0') && Buffer.byteLength(s) < slotSize);
}

function element(fieldType: number): fc.Arbitrary<number | string> {
  switch (fieldType) {
    case DBF_STRING: return fixedText(40, 39);
    case DBF_SHORT: return fc.integer({ min: -32768, max: 32767 });
    case DBF_FLOAT: return fc.float();
    case DBF_ENUM: return fc.integer({ min: 0, max: 65535 });
    case DBF_CHAR: return fc.integer({ min: 0, max: 255 });
    case DBF_LONG: return fc.integer({ min: -2147483648, max: 2147483647 });
    default: return fc.double();
  }
}

const i16 = fc.integer({ min: -32768, max: 32767 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** a DBR type, and data holding exactly the fields that type carries */
const dbrSample: fc.Arbitrary<{ dbrType: number; data: DbrData }> = fc
  .record({ fieldType: fc.integer({ min: 0, max: 6 }), cls: fc.constantFrom(...CLASSES), count: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 5, max: 300 })) })
  .chain(({ fieldType, cls, count }) => {
    const dbrType = dbrTypeOf(fieldType, cls);
    const limit = element(fieldType === DBF_STRING ? DBF_DOUBLE : fieldType) as fc.Arbitrary<number>;
    const parts: Record<string, fc.Arbitrary<unknown>> = { value: fc.array(element(fieldType), { minLength: count, maxLength: count }) };
    if (cls !== 'plain') Object.assign(parts, { status: i16, severity: i16 });
    if (cls === 'time') parts.stamp = fc.record({ secPastEpoch: u32, nsec: u32 });
    if ((cls === 'gr' || cls === 'ctrl') && fieldType === DBF_ENUM) {
      parts.enumStrings = fc.array(fixedText(26, 25), { maxLength: 16 });
    } else if ((cls === 'gr' || cls === 'ctrl') && fieldType !== DBF_STRING) {
      if (fieldType === DBF_FLOAT || fieldType === DBF_DOUBLE) parts.precision = i16;
      parts.units = fixedText(8, 7);
      const names = ['upperDispLimit', 'lowerDispLimit', 'upperAlarmLimit', 'upperWarningLimit', 'lowerWarningLimit', 'lowerAlarmLimit'];
      if (cls === 'ctrl') names.push('upperCtrlLimit', 'lowerCtrlLimit');
      parts.limits = fc.record(Object.fromEntries(names.map((n) => [n, limit])));
    }
    // structuredClone: fast-check records have null prototypes, which deepStrictEqual tells apart
    return fc.record(parts).map((data) => ({ dbrType, data: structuredClone(data) as unknown as DbrData }));
  });

describe('DBR codec', () => {
  it('round-trips every DBR type 0–34, scalars and arrays, through encode then decode', () => {
    fc.assert(
      fc.property(dbrSample, ({ dbrType, data }) => {
        const bytes = encodeDbr(dbrType, data);
        assert.equal(bytes.length, dbrSizeN(dbrType, data.value.length));
        assert.deepStrictEqual(decodeDbr(dbrType, data.value.length, bytes), data);
      }),
      { numRuns: 1500 },
    );
  });

  it('decodes ignoring the padding after the last element', () => {
    const bytes = Buffer.concat([encodeDbr(DBR_TIME_DOUBLE, { value: [2.5], stamp: { secPastEpoch: 7, nsec: 9 }, status: 0, severity: 0 }), Buffer.alloc(8, 0xee)]);
    assert.deepStrictEqual(decodeDbr(DBR_TIME_DOUBLE, 1, bytes), { value: [2.5], status: 0, severity: 0, stamp: { secPastEpoch: 7, nsec: 9 } });
  });

  it('throws only CaProtocolError for a payload shorter than the type and count need', () => {
    fc.assert(
      fc.property(dbrSample.filter(({ dbrType, data }) => dbrSizeN(dbrType, data.value.length) > 0), fc.nat(), ({ dbrType, data }, cut) => {
        const bytes = encodeDbr(dbrType, data);
        const lenientString = dbrFieldType(dbrType) === DBF_STRING && data.value.length === 1;
        const truncated = bytes.subarray(0, lenientString ? Math.min(cut % bytes.length, dbrValueOffset(dbrType)) : cut % bytes.length);
        assert.throws(() => decodeDbr(dbrType, data.value.length, truncated), CaProtocolError);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a lone DBR_STRING cut short after its NUL, as libca writes a scalar string', () => {
    assert.deepStrictEqual(decodeDbr(0, 1, Buffer.from('world\0\0\0')).value, ['world']);
    assert.deepStrictEqual(decodeDbr(0, 1, Buffer.from('no-nul')).value, ['no-nul']);
    assert.throws(() => decodeDbr(0, 2, Buffer.from('a\0b\0')), CaProtocolError);
    assert.throws(() => decodeDbr(7, 1, Buffer.alloc(4)), CaProtocolError);
  });

  it('never throws anything but CaProtocolError on garbage types, counts and bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 70000 }), fc.oneof(fc.integer({ min: -3, max: 50 }), fc.nat()), fc.uint8Array({ maxLength: 600 }), (dbrType, count, bytes) => {
        try {
          decodeDbr(dbrType, count, Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof CaProtocolError, `unexpected ${(err as Error).name}: ${(err as Error).message}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects unsupported DBR types (35 and up: PUT_ACKT, STSACK_STRING, CLASS_NAME) with CaProtocolError', () => {
    assert.throws(() => decodeDbr(35, 1, Buffer.alloc(64)), CaProtocolError);
    assert.throws(() => encodeDbr(38, { value: ['x'] }), CaProtocolError);
  });

  it('refuses to encode a DBR_STRING element over 39 bytes or of the wrong JS type', () => {
    assert.throws(() => encodeDbr(0, { value: ['x'.repeat(40)] }), /over 39 bytes/);
    assert.throws(() => encodeDbr(0, { value: [1] }), CaProtocolError);
    assert.throws(() => encodeDbr(6, { value: ['1'] }), CaProtocolError);
    assert.equal(encodeDbr(0, { value: ['x'.repeat(39)] }).length, 40);
  });

  it('casts numbers as a C cast in an IOC: toward zero, saturating, NaN to 0', () => {
    assert.deepStrictEqual(decodeDbr(1, 5, encodeDbr(1, { value: [1.9, -1.9, 1e9, -1e9, Number.NaN] })).value, [1, -1, 32767, -32768, 0]);
    assert.deepStrictEqual(decodeDbr(4, 3, encodeDbr(4, { value: [-4, 300, 65.7] })).value, [0, 255, 65]);
    assert.equal(castToFieldType(0.1, DBF_FLOAT), Math.fround(0.1));
    assert.equal(castToFieldType(3e9, DBF_LONG), 2147483647);
    assert.equal(castToFieldType(70000, DBF_ENUM), 65535);
  });

  it('derives class, field type and sizes from the DBR id as db_access.h lays them out', () => {
    assert.equal(dbrClass(DBR_CTRL_DOUBLE), 'ctrl');
    assert.equal(dbrFieldType(DBR_CTRL_DOUBLE), DBF_DOUBLE);
    assert.equal(dbrTypeOf(DBF_ENUM, 'gr'), DBR_GR_ENUM);
    assert.equal(dbrValueOffset(DBR_GR_ENUM), 422);
    assert.equal(dbrSizeN(DBR_CTRL_DOUBLE, 1), 88);
    assert.equal(dbrSizeN(DBR_TIME_DOUBLE, 1024), 16 + 8 * 1024);
    assert.throws(() => dbrTypeOf(7, 'plain'), CaProtocolError);
  });
});
