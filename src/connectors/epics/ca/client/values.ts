import { CaStatusError, convertValues, dbrTypeOf, decodeDbr, encodeCString, encodeDbr, isSupportedDbrType, type CaMessage, type DbrClass, type DbrData } from '../codec.ts';
import { DBF_DOUBLE, DBF_STRING, ECA_BADCOUNT, ECA_BADTYPE } from '../constants.ts';

/** A DBR id (0–34), or a class applied to the channel's native field type (`'time'` on a double is DBR_TIME_DOUBLE). */
export type DbrRequest = number | DbrClass;

/** A decoded reply: the DBR structure plus the type and element count the server sent. */
export interface CaReading extends DbrData {
  dbrType: number;
  count: number;
}

export function readingOf(message: CaMessage): CaReading {
  const reading = decodeDbr(message.dataType, message.dataCount, message.payload) as CaReading;
  reading.dbrType = message.dataType;
  reading.count = message.dataCount;
  return reading;
}

export type PutValue = number | string | readonly number[] | readonly string[];

export function resolveDbrType(request: DbrRequest, nativeType: number): number {
  const dbrType = typeof request === 'number' ? request : dbrTypeOf(nativeType, request);
  if (!isSupportedDbrType(dbrType)) throw new CaStatusError(ECA_BADTYPE, `DBR type ${request}`);
  return dbrType;
}

export interface EncodedPut {
  dataType: number;
  dataCount: number;
  payload: Buffer;
}

/**
 * Encodes a value for WRITE / WRITE_NOTIFY. Text is sent as DBR_STRING so the server converts it the
 * way caput's text does (enum labels included); numbers are sent in the native type (as text to a
 * STRING channel). `fieldType` forces a plain type instead.
 */
export function encodePutValue(value: PutValue, nativeType: number, fieldType?: number): EncodedPut {
  const values: readonly (number | string)[] = Array.isArray(value) ? value : [value as number | string];
  if (values.length === 0) throw new CaStatusError(ECA_BADCOUNT, 'no value to write');
  const text = typeof values[0] === 'string';
  if (values.some((element) => typeof element !== (text ? 'string' : 'number'))) {
    throw new CaStatusError(ECA_BADTYPE, 'a value mixes text and numbers');
  }
  const dataType = fieldType ?? (text ? DBF_STRING : nativeType);
  if (!Number.isInteger(dataType) || dataType < DBF_STRING || dataType > DBF_DOUBLE) {
    throw new CaStatusError(ECA_BADTYPE, `writes take a plain DBR type (0–6), not ${dataType}`);
  }
  const converted = convertValues(values, text ? DBF_STRING : DBF_DOUBLE, dataType);
  // a single string travels cut to its length, as libca sends it, rather than in a 40-byte slot
  const payload = dataType === DBF_STRING && converted.length === 1 ? encodeCString(converted[0] as string) : encodeDbr(dataType, { value: converted });
  return { dataType, dataCount: converted.length, payload };
}
