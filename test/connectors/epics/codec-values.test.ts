import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CaStatusError,
  convertValues,
  dateToEpicsStamp,
  epicsStampToDate,
  epicsStampToIso,
  epicsStampToSeconds,
  epicsStampToUnix,
  formatNumber,
  unixToEpicsStamp,
} from '../../../src/connectors/epics/ca/codec.ts';
import {
  DBF_CHAR,
  DBF_DOUBLE,
  DBF_ENUM,
  DBF_FLOAT,
  DBF_LONG,
  DBF_SHORT,
  DBF_STRING,
  ECA_BADSTR,
  ECA_BADTYPE,
  alarmSeverityFromName,
  alarmSeverityName,
  alarmStatusFromName,
  alarmStatusName,
  caMessage,
  ecaName,
} from '../../../src/connectors/epics/ca/constants.ts';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaStatusError) return err.status;
    throw err;
  }
  return undefined;
}

describe('EPICS time stamps', () => {
  it('maps Unix seconds to EPICS seconds by subtracting 631,152,000 and keeps nanoseconds', () => {
    assert.deepStrictEqual(unixToEpicsStamp(1_700_000_000, 123_456_789), { secPastEpoch: 1_068_848_000, nsec: 123_456_789 });
    assert.deepStrictEqual(epicsStampToUnix({ secPastEpoch: 1_068_848_000, nsec: 123_456_789 }), { seconds: 1_700_000_000, nanoseconds: 123_456_789 });
    assert.equal(epicsStampToIso({ secPastEpoch: 1_068_848_000, nsec: 5 }), '2023-11-14T22:13:20.000000005Z');
    assert.equal(epicsStampToSeconds({ secPastEpoch: 1, nsec: 500_000_000 }), 631_152_001.5);
  });

  it('maps the unset stamp 0/0 to null everywhere', () => {
    const unset = { secPastEpoch: 0, nsec: 0 };
    assert.equal(epicsStampToUnix(unset), null);
    assert.equal(epicsStampToDate(unset), null);
    assert.equal(epicsStampToIso(unset), null);
    assert.equal(epicsStampToSeconds(unset), null);
  });

  it('round-trips any instant from 1990 to 2100 through stamp and Unix time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 631_152_001, max: 4_102_444_800 }), fc.integer({ min: 0, max: 999_999_999 }), (seconds, nanoseconds) => {
        assert.deepStrictEqual(epicsStampToUnix(unixToEpicsStamp(seconds, nanoseconds)), { seconds, nanoseconds });
      }),
    );
  });

  it('round-trips a Date to the millisecond and refuses instants before 1990', () => {
    const date = new Date('2024-02-29T12:34:56.789Z');
    assert.deepStrictEqual(epicsStampToDate(dateToEpicsStamp(date)), date);
    assert.throws(() => dateToEpicsStamp(new Date('1989-12-31T23:59:59Z')), RangeError);
  });
});

describe('value conversion between field types', () => {
  it('casts numeric to numeric toward zero with saturation', () => {
    assert.deepStrictEqual(convertValues([3.99, -3.99, 1e6], DBF_DOUBLE, DBF_SHORT), [3, -3, 32767]);
    assert.deepStrictEqual(convertValues([-1, 256], DBF_LONG, DBF_CHAR), [0, 255]);
    assert.deepStrictEqual(convertValues([2], DBF_ENUM, DBF_DOUBLE), [2]);
  });

  it('formats numbers as text with the PV precision', () => {
    assert.deepStrictEqual(convertValues([1.23456], DBF_DOUBLE, DBF_STRING, { precision: 3 }), ['1.235']);
    assert.deepStrictEqual(convertValues([42], DBF_LONG, DBF_STRING, { precision: 3 }), ['42']);
    assert.deepStrictEqual(convertValues([Math.fround(0.1)], DBF_FLOAT, DBF_STRING), ['0.1']);
    assert.equal(formatNumber(1e20, DBF_DOUBLE, 2), '1.00e+20');
  });

  it('parses text to numbers, and refuses text that is not a number with ECA_BADTYPE', () => {
    assert.deepStrictEqual(convertValues([' 2.5 ', '1e3', '0x10', '-7.9'], DBF_STRING, DBF_LONG), [2, 1000, 16, -7]);
    assert.equal(statusOf(() => convertValues(['abc'], DBF_STRING, DBF_DOUBLE)), ECA_BADTYPE);
    assert.equal(statusOf(() => convertValues([''], DBF_STRING, DBF_DOUBLE)), ECA_BADTYPE);
  });

  it('converts ENUM and STRING by label, taking a numeric string as the index', () => {
    const context = { enumStrings: ['Off', 'On', 'Standby'] };
    assert.deepStrictEqual(convertValues([1, 7], DBF_ENUM, DBF_STRING, context), ['On', '7']);
    assert.deepStrictEqual(convertValues(['Standby', '0'], DBF_STRING, DBF_ENUM, context), [2, 0]);
    assert.equal(statusOf(() => convertValues(['Maybe'], DBF_STRING, DBF_ENUM, context)), ECA_BADTYPE);
    assert.equal(statusOf(() => convertValues(['3'], DBF_STRING, DBF_ENUM, context)), ECA_BADTYPE);
  });

  it('refuses a STRING over 39 bytes with ECA_BADSTR and elements of the wrong JS type with ECA_BADTYPE', () => {
    assert.equal(statusOf(() => convertValues(['x'.repeat(40)], DBF_STRING, DBF_STRING)), ECA_BADSTR);
    assert.deepStrictEqual(convertValues(['x'.repeat(39)], DBF_STRING, DBF_STRING), ['x'.repeat(39)]);
    assert.equal(statusOf(() => convertValues([1], DBF_STRING, DBF_DOUBLE)), ECA_BADTYPE);
    assert.equal(statusOf(() => convertValues(['1'], DBF_DOUBLE, DBF_STRING)), ECA_BADTYPE);
    assert.equal(statusOf(() => convertValues([1], 9, DBF_STRING)), ECA_BADTYPE);
  });
});

describe('status and alarm names', () => {
  it('names ECA codes and gives libca message text', () => {
    assert.equal(ecaName(376), 'ECA_NOWTACCESS');
    assert.equal(caMessage(376), 'Write access denied');
    assert.equal(new CaStatusError(ECA_BADTYPE, 'x').message, 'ECA_BADTYPE: The data type specifed is invalid (x)');
  });

  it('maps alarm status and severity numbers to alarm.h names and back', () => {
    assert.equal(alarmStatusName(3), 'HIHI');
    assert.equal(alarmStatusName(21), 'WRITE_ACCESS');
    assert.equal(alarmStatusName(99), '99');
    assert.equal(alarmSeverityName(2), 'MAJOR');
    assert.equal(alarmSeverityFromName('minor'), 1);
    assert.equal(alarmSeverityFromName('NO_ALARM'), 0);
    assert.equal(alarmSeverityFromName('MAJOR_ALARM'), 2);
    assert.equal(alarmStatusFromName('HIGH_ALARM'), 4);
    assert.equal(alarmStatusFromName('NO_ALARM'), 0);
    assert.equal(alarmStatusFromName('bogus'), undefined);
  });
});
