/**
 * Value conversion between field types, as an IOC converts when a client asks for (or writes) a type
 * other than the PV's native one: numeric casts round toward zero and saturate; numbers become text
 * with the PV's precision; text is parsed or refused with ECA_BADTYPE; ENUM ⇄ STRING goes by label
 * (a numeric string is an index); a STRING over 39 bytes is ECA_BADSTR.
 */
import { DBF_DOUBLE, DBF_ENUM, DBF_FLOAT, DBF_STRING, ECA_BADSTR, ECA_BADTYPE, dbfName } from '../constants.ts';
import { castToFieldType, fitsDbrString } from './dbr.ts';
import { CaStatusError } from './errors.ts';

export interface ConversionContext {
  /** display precision (PREC) used when a FLOAT or DOUBLE becomes text */
  precision?: number;
  /** ENUM state labels, index = state */
  enumStrings?: readonly string[];
}

function checkFieldType(fieldType: number): void {
  if (!Number.isInteger(fieldType) || fieldType < DBF_STRING || fieldType > DBF_DOUBLE) {
    throw new CaStatusError(ECA_BADTYPE, `field type ${fieldType}`);
  }
}

/** A number as an IOC prints it: fixed-point with the precision for FLOAT/DOUBLE, plain for integers. */
export function formatNumber(value: number, fieldType: number, precision?: number): string {
  if (fieldType !== DBF_FLOAT && fieldType !== DBF_DOUBLE) return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (precision === undefined || precision < 0) {
    return fieldType === DBF_FLOAT ? String(Number(value.toPrecision(7))) : String(value);
  }
  const digits = Math.min(17, Math.trunc(precision));
  return Math.abs(value) < 1e15 ? value.toFixed(digits) : value.toExponential(digits);
}

/** Text to a number the way `epicsParseFloat64` reads it (decimal, exponent, hex, inf/nan); undefined when it is not one. */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const lower = trimmed.toLowerCase().replace(/^\+/, '');
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  const hex = /^(-?)0x([0-9a-f]+)$/.exec(lower);
  if (hex) return (hex[1] ? -1 : 1) * parseInt(hex[2]!, 16);
  const value = Number(trimmed);
  return Number.isNaN(value) ? undefined : value;
}

function enumIndexFromText(text: string, enumStrings: readonly string[] | undefined): number {
  const byLabel = enumStrings?.indexOf(text) ?? -1;
  if (byLabel !== -1) return byLabel;
  const trimmed = text.trim();
  const index = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const limit = enumStrings?.length ? enumStrings.length : 0x10000;
  if (!(index < limit)) throw new CaStatusError(ECA_BADTYPE, `'${text}' is not a state of this enum`);
  return index;
}

function toText(value: number, fromType: number, context: ConversionContext): string {
  const text = fromType === DBF_ENUM ? context.enumStrings?.[value] ?? String(value) : formatNumber(value, fromType, context.precision);
  if (!fitsDbrString(text)) throw new CaStatusError(ECA_BADSTR, `'${text}' is over 39 bytes`);
  return text;
}

/**
 * Converts elements held as `fromType` to `toType` (both DBF_* field types). Elements of the wrong
 * JS type for `fromType` or text that is not a number fail with ECA_BADTYPE; text over 39 bytes with
 * ECA_BADSTR.
 */
export function convertValues(
  values: readonly (number | string)[],
  fromType: number,
  toType: number,
  context: ConversionContext = {},
): number[] | string[] {
  checkFieldType(fromType);
  checkFieldType(toType);
  const fromText = fromType === DBF_STRING;
  for (const element of values) {
    if (typeof element !== (fromText ? 'string' : 'number')) {
      throw new CaStatusError(ECA_BADTYPE, `${typeof element} element for ${dbfName(fromType)}`);
    }
  }
  if (fromText) {
    const texts = values as readonly string[];
    if (toType === DBF_STRING) {
      const tooLong = texts.find((text) => !fitsDbrString(text));
      if (tooLong !== undefined) throw new CaStatusError(ECA_BADSTR, `'${tooLong.slice(0, 60)}' is over 39 bytes`);
      return [...texts];
    }
    if (toType === DBF_ENUM) return texts.map((text) => enumIndexFromText(text, context.enumStrings));
    return texts.map((text) => {
      const parsed = parseNumber(text);
      if (parsed === undefined) throw new CaStatusError(ECA_BADTYPE, `'${text}' is not a number`);
      return castToFieldType(parsed, toType);
    });
  }
  const numbers = values as readonly number[];
  if (toType === DBF_STRING) return numbers.map((value) => toText(value, fromType, context));
  return numbers.map((value) => castToFieldType(value, toType));
}
