/**
 * Turning a PV's state into the DBR payload a client asked for, and a client's write payload into
 * values, with the conversions an IOC applies when the requested type is not the native one.
 */
import {
  CaProtocolError,
  CaStatusError,
  convertValues,
  dbrFieldType,
  dbrSizeN,
  decodeDbr,
  encodeDbr,
  isSupportedDbrType,
} from '../codec.ts';
import { DBF_ENUM, DBF_STRING, ECA_BADCOUNT, ECA_BADTYPE, ECA_NORDACCESS, ECA_NORMAL } from '../constants.ts';
import type { CaServedPv } from './types.ts';

export interface DbrReply {
  /** ECA status for p1 of the reply */
  status: number;
  dataCount: number;
  payload: Buffer;
}

const NO_LIMITS = {
  upperDispLimit: 0, lowerDispLimit: 0, upperAlarmLimit: 0, upperWarningLimit: 0,
  lowerWarningLimit: 0, lowerAlarmLimit: 0, upperCtrlLimit: 0, lowerCtrlLimit: 0,
};

function failed(status: number, dbrType: number, dataCount: number): DbrReply {
  // a failed read still carries a zeroed payload of the requested shape, as rsrv sends one
  return { status, dataCount, payload: Buffer.alloc(dbrSizeN(dbrType, dataCount)) };
}

/** The native elements padded with zeros (or empty strings) or cut to `count`. */
function elements(value: readonly number[] | readonly string[], fieldType: number, count: number): number[] | string[] {
  if (value.length === count) return value as number[] | string[];
  if (value.length > count) return value.slice(0, count) as number[] | string[];
  const filler = fieldType === DBF_STRING ? '' : 0;
  return [...value, ...new Array<number | string>(count - value.length).fill(filler)] as number[] | string[];
}

/**
 * The reply to a read or monitor update of `pv` as `dbrType` with `requestedCount` elements
 * (0: the current, dynamic count). Never throws: a bad type, count or conversion becomes an ECA status.
 */
export function readReply(pv: CaServedPv, dbrType: number, requestedCount: number): DbrReply {
  if (!isSupportedDbrType(dbrType)) return { status: ECA_BADTYPE, dataCount: 0, payload: Buffer.alloc(0) };
  if (requestedCount > pv.maxCount) return { status: ECA_BADCOUNT, dataCount: 0, payload: Buffer.alloc(0) };
  const state = pv.state();
  const count = requestedCount === 0 ? state.value.length : requestedCount;
  if (!pv.access.read) return failed(ECA_NORDACCESS, dbrType, count);
  const fieldType = dbrFieldType(dbrType);
  let value: number[] | string[];
  try {
    const native = elements(state.value, pv.fieldType, count);
    value = fieldType === pv.fieldType ? native : convertValues(native, pv.fieldType, fieldType, state);
  } catch (err) {
    if (err instanceof CaStatusError) return failed(err.status, dbrType, count);
    throw err;
  }
  const numeric = pv.fieldType !== DBF_STRING && pv.fieldType !== DBF_ENUM;
  const payload = encodeDbr(dbrType, {
    value,
    status: state.status,
    severity: state.severity,
    stamp: state.stamp,
    units: numeric ? state.units : '',
    precision: state.precision,
    limits: numeric ? state.limits : NO_LIMITS,
    enumStrings: pv.fieldType === DBF_ENUM ? state.enumStrings : [],
  });
  return { status: ECA_NORMAL, dataCount: count, payload };
}

/** The elements of a WRITE / WRITE_NOTIFY payload; throws CaStatusError (ECA_BADTYPE, ECA_BADCOUNT). */
export function decodeWrite(dbrType: number, dataCount: number, payload: Buffer): { values: number[] | string[]; fieldType: number } {
  if (!isSupportedDbrType(dbrType)) throw new CaStatusError(ECA_BADTYPE, `DBR type ${dbrType}`);
  try {
    return { values: decodeDbr(dbrType, dataCount, payload).value, fieldType: dbrFieldType(dbrType) };
  } catch (err) {
    if (err instanceof CaProtocolError) throw new CaStatusError(ECA_BADCOUNT, err.message);
    throw err;
  }
}
