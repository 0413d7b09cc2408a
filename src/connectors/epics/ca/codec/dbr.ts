/**
 * DBR payloads (db_access.h): the five classes (plain, STS, TIME, GR, CTRL) of the seven field types,
 * scalars and arrays. A DBR id is `class * 7 + field type`; element i of an array sits at
 * `value offset + i * element size`. All multi-byte fields are big-endian.
 */
import {
  DBF_CHAR,
  DBF_DOUBLE,
  DBF_ENUM,
  DBF_FLOAT,
  DBF_LONG,
  DBF_SHORT,
  DBF_STRING,
  LAST_SUPPORTED_DBR_TYPE,
  MAX_ENUM_STATES,
  MAX_ENUM_STRING_SIZE,
  MAX_STRING_SIZE,
  MAX_UNITS_SIZE,
  dbrName,
} from '../constants.ts';
import { CaProtocolError } from './errors.ts';

export type DbrClass = 'plain' | 'sts' | 'time' | 'gr' | 'ctrl';
const DBR_CLASSES: readonly DbrClass[] = ['plain', 'sts', 'time', 'gr', 'ctrl'];

/** epicsTime.h `epicsTimeStamp`: seconds since 1990-01-01 UTC and nanoseconds within the second */
export interface EpicsTimeStamp {
  secPastEpoch: number;
  nsec: number;
}

/** The limit fields of the GR (first six) and CTRL (all eight) structures, in wire order. */
export interface DbrLimits {
  upperDispLimit: number;
  lowerDispLimit: number;
  upperAlarmLimit: number;
  upperWarningLimit: number;
  lowerWarningLimit: number;
  lowerAlarmLimit: number;
  upperCtrlLimit?: number;
  lowerCtrlLimit?: number;
}
const LIMIT_KEYS = [
  'upperDispLimit', 'lowerDispLimit', 'upperAlarmLimit', 'upperWarningLimit', 'lowerWarningLimit', 'lowerAlarmLimit',
  'upperCtrlLimit', 'lowerCtrlLimit',
] as const;

/** Strings for DBR_STRING; numbers for every other field type (ENUM: the state index, CHAR: bytes 0–255). */
export type DbrValue = number[] | string[];

/**
 * A decoded DBR payload. Which optional fields are present follows the class: STS and up carry
 * `status`/`severity`; TIME adds `stamp`; GR and CTRL add `units`/`limits` (SHORT, LONG, CHAR),
 * `precision`/`units`/`limits` (FLOAT, DOUBLE) or `enumStrings` (ENUM). GR/CTRL STRING are laid out as STS.
 */
export interface DbrData {
  value: DbrValue;
  status?: number;
  severity?: number;
  stamp?: EpicsTimeStamp;
  units?: string;
  precision?: number;
  limits?: DbrLimits;
  enumStrings?: string[];
}

/** What `encodeDbr` accepts: the same shape with read-only arrays. */
export interface DbrInput extends Omit<DbrData, 'value' | 'enumStrings'> {
  value: readonly number[] | readonly string[];
  enumStrings?: readonly string[];
}

const ELEMENT_SIZE = [MAX_STRING_SIZE, 2, 4, 2, 1, 4, 8] as const;
/** value offsets by [class][field type], from the db_access.h structures */
const VALUE_OFFSET = [
  [0, 0, 0, 0, 0, 0, 0],
  [4, 4, 4, 4, 5, 4, 8],
  [12, 14, 12, 14, 15, 12, 16],
  [4, 24, 40, 422, 19, 36, 64],
  [4, 28, 48, 422, 21, 44, 80],
] as const;

export function isSupportedDbrType(dbrType: number): boolean {
  return Number.isInteger(dbrType) && dbrType >= 0 && dbrType <= LAST_SUPPORTED_DBR_TYPE;
}

function checkDbrType(dbrType: number): void {
  if (!isSupportedDbrType(dbrType)) throw new CaProtocolError(`unsupported DBR type ${dbrType}`);
}

/** The field type (DBF_*) a DBR id carries: `id % 7`. */
export function dbrFieldType(dbrType: number): number {
  checkDbrType(dbrType);
  return dbrType % 7;
}

export function dbrClass(dbrType: number): DbrClass {
  checkDbrType(dbrType);
  return DBR_CLASSES[Math.floor(dbrType / 7)]!;
}

/** The DBR id of a field type in a class: `dbrTypeOf(DBF_DOUBLE, 'time')` is DBR_TIME_DOUBLE (20). */
export function dbrTypeOf(fieldType: number, cls: DbrClass): number {
  const dbrType = DBR_CLASSES.indexOf(cls) * 7 + fieldType;
  if (!Number.isInteger(fieldType) || fieldType < 0 || fieldType > 6) throw new CaProtocolError(`unsupported field type ${fieldType}`);
  return dbrType;
}

export function dbrValueOffset(dbrType: number): number {
  checkDbrType(dbrType);
  return VALUE_OFFSET[Math.floor(dbrType / 7)]![dbrType % 7]!;
}

/** Bytes per element of a field type (DBF_STRING: 40). */
export function dbrElementSize(dbrType: number): number {
  checkDbrType(dbrType);
  return ELEMENT_SIZE[dbrType % 7]!;
}

/** db_access.h `dbr_size_n`: the unpadded payload size for `count` elements. */
export function dbrSizeN(dbrType: number, count: number): number {
  return dbrValueOffset(dbrType) + count * dbrElementSize(dbrType);
}

const INTEGER_RANGE: Partial<Record<number, readonly [number, number]>> = {
  [DBF_SHORT]: [-32768, 32767],
  [DBF_ENUM]: [0, 65535],
  [DBF_CHAR]: [0, 255],
  [DBF_LONG]: [-2147483648, 2147483647],
};

/**
 * A number as the field type holds it, the way a C cast in an IOC converts: integers round toward zero
 * and saturate at the type's bounds (NaN becomes 0); FLOAT rounds to single precision.
 */
export function castToFieldType(value: number, fieldType: number): number {
  if (fieldType === DBF_DOUBLE) return value;
  if (fieldType === DBF_FLOAT) return Math.fround(value);
  const range = INTEGER_RANGE[fieldType];
  if (!range) throw new CaProtocolError(`field type ${fieldType} is not numeric`);
  if (Number.isNaN(value)) return 0;
  return Math.min(range[1], Math.max(range[0], Math.trunc(value)));
}

function writeNumber(target: Buffer, offset: number, fieldType: number, value: number): void {
  const cast = castToFieldType(value, fieldType);
  switch (fieldType) {
    case DBF_SHORT: target.writeInt16BE(cast, offset); break;
    case DBF_FLOAT: target.writeFloatBE(cast, offset); break;
    case DBF_ENUM: target.writeUInt16BE(cast, offset); break;
    case DBF_CHAR: target.writeUInt8(cast, offset); break;
    case DBF_LONG: target.writeInt32BE(cast, offset); break;
    default: target.writeDoubleBE(cast, offset);
  }
}

function readNumber(source: Buffer, offset: number, fieldType: number): number {
  switch (fieldType) {
    case DBF_SHORT: return source.readInt16BE(offset);
    case DBF_FLOAT: return source.readFloatBE(offset);
    case DBF_ENUM: return source.readUInt16BE(offset);
    case DBF_CHAR: return source.readUInt8(offset);
    case DBF_LONG: return source.readInt32BE(offset);
    default: return source.readDoubleBE(offset);
  }
}

/** The longest prefix of `text` whose UTF-8 form fits `maxBytes` without splitting a character. */
function utf8Prefix(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Writes a NUL-terminated string into a fixed slot; metadata (units, state names) is cut to fit. */
function writeFixedString(target: Buffer, offset: number, slotSize: number, text: string): void {
  utf8Prefix(text, slotSize - 1).copy(target, offset);
}

function readFixedString(source: Buffer, offset: number, slotSize: number): string {
  const slot = source.subarray(offset, offset + slotSize);
  const end = slot.indexOf(0);
  return slot.toString('utf8', 0, end === -1 ? slot.length : end);
}

/** Whether a string fits a DBR_STRING element (39 bytes of UTF-8 plus the NUL). */
export function fitsDbrString(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') < MAX_STRING_SIZE;
}

function limitCount(cls: DbrClass): number {
  return cls === 'ctrl' ? 8 : 6;
}

function writeMetadata(target: Buffer, dbrType: number, data: DbrInput): void {
  const cls = dbrClass(dbrType);
  const fieldType = dbrType % 7;
  if (cls === 'plain') return;
  target.writeInt16BE(data.status ?? 0, 0);
  target.writeInt16BE(data.severity ?? 0, 2);
  if (cls === 'time') {
    target.writeUInt32BE(data.stamp?.secPastEpoch ?? 0, 4);
    target.writeUInt32BE(data.stamp?.nsec ?? 0, 8);
    return;
  }
  if (cls === 'sts' || fieldType === DBF_STRING) return;
  if (fieldType === DBF_ENUM) {
    const states = (data.enumStrings ?? []).slice(0, MAX_ENUM_STATES);
    target.writeInt16BE(states.length, 4);
    states.forEach((state, i) => writeFixedString(target, 6 + i * MAX_ENUM_STRING_SIZE, MAX_ENUM_STRING_SIZE, state));
    return;
  }
  const floating = fieldType === DBF_FLOAT || fieldType === DBF_DOUBLE;
  if (floating) target.writeInt16BE(data.precision ?? 0, 4);
  writeFixedString(target, floating ? 8 : 4, MAX_UNITS_SIZE, data.units ?? '');
  const limitsOffset = floating ? 16 : 12;
  const size = ELEMENT_SIZE[fieldType]!;
  for (let i = 0; i < limitCount(cls); i++) {
    writeNumber(target, limitsOffset + i * size, fieldType, data.limits?.[LIMIT_KEYS[i]!] ?? 0);
  }
}

function readMetadata(source: Buffer, dbrType: number, data: DbrData): void {
  const cls = dbrClass(dbrType);
  const fieldType = dbrType % 7;
  if (cls === 'plain') return;
  data.status = source.readInt16BE(0);
  data.severity = source.readInt16BE(2);
  if (cls === 'time') {
    data.stamp = { secPastEpoch: source.readUInt32BE(4), nsec: source.readUInt32BE(8) };
    return;
  }
  if (cls === 'sts' || fieldType === DBF_STRING) return;
  if (fieldType === DBF_ENUM) {
    const count = Math.max(0, Math.min(MAX_ENUM_STATES, source.readInt16BE(4)));
    data.enumStrings = Array.from({ length: count }, (_, i) => readFixedString(source, 6 + i * MAX_ENUM_STRING_SIZE, MAX_ENUM_STRING_SIZE));
    return;
  }
  const floating = fieldType === DBF_FLOAT || fieldType === DBF_DOUBLE;
  if (floating) data.precision = source.readInt16BE(4);
  data.units = readFixedString(source, floating ? 8 : 4, MAX_UNITS_SIZE);
  const limitsOffset = floating ? 16 : 12;
  const size = ELEMENT_SIZE[fieldType]!;
  const limits: Partial<DbrLimits> = {};
  for (let i = 0; i < limitCount(cls); i++) limits[LIMIT_KEYS[i]!] = readNumber(source, limitsOffset + i * size, fieldType);
  data.limits = limits as DbrLimits;
}

/**
 * Encodes a DBR payload of `value.length` elements (unpadded: `dbrSizeN` bytes; the message adds
 * padding). Numbers are cast as an IOC casts them; a DBR_STRING element over 39 bytes, a string where
 * a number belongs or the reverse throws CaProtocolError (convert first with `convertValues`).
 */
export function encodeDbr(dbrType: number, data: DbrInput): Buffer {
  const fieldType = dbrFieldType(dbrType);
  const values = data.value;
  const target = Buffer.alloc(dbrSizeN(dbrType, values.length));
  writeMetadata(target, dbrType, data);
  const offset = dbrValueOffset(dbrType);
  const size = ELEMENT_SIZE[fieldType]!;
  for (let i = 0; i < values.length; i++) {
    const element = values[i];
    if (fieldType === DBF_STRING) {
      if (typeof element !== 'string') throw new CaProtocolError(`${dbrName(dbrType)} element ${i} is not a string`);
      if (!fitsDbrString(element)) throw new CaProtocolError(`${dbrName(dbrType)} element ${i} is over ${MAX_STRING_SIZE - 1} bytes`);
      Buffer.from(element, 'utf8').copy(target, offset + i * size);
    } else {
      if (typeof element !== 'number') throw new CaProtocolError(`${dbrName(dbrType)} element ${i} is not a number`);
      writeNumber(target, offset + i * size, fieldType, element);
    }
  }
  return target;
}

/**
 * Decodes `count` elements of a DBR payload (padding after them is ignored). A payload too short for
 * the type and count, or an unsupported type, throws CaProtocolError; the one exception is a single
 * string element cut short after its NUL, which is how libca writes a scalar string.
 */
export function decodeDbr(dbrType: number, count: number, payload: Buffer): DbrData {
  const fieldType = dbrFieldType(dbrType);
  if (!Number.isInteger(count) || count < 0) throw new CaProtocolError(`invalid element count ${count}`);
  // libca sends a lone DBR_STRING as strlen + 1 bytes (padded to 8), not the whole 40-byte slot
  const shortString = fieldType === DBF_STRING && count === 1 && payload.length > dbrValueOffset(dbrType);
  const needed = dbrSizeN(dbrType, count);
  if (payload.length < needed && !shortString) {
    throw new CaProtocolError(`${dbrName(dbrType)} × ${count} needs ${needed} bytes; the payload has ${payload.length}`);
  }
  const offset = dbrValueOffset(dbrType);
  const size = ELEMENT_SIZE[fieldType]!;
  let value: DbrValue;
  if (fieldType === DBF_STRING) {
    value = Array.from({ length: count }, (_, i) => readFixedString(payload, offset + i * size, size));
  } else {
    const numbers = new Array<number>(count);
    for (let i = 0; i < count; i++) numbers[i] = readNumber(payload, offset + i * size, fieldType);
    value = numbers;
  }
  const data: DbrData = { value };
  readMetadata(payload, dbrType, data);
  return data;
}
