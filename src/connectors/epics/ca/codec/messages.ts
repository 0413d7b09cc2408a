/**
 * Builders for every Channel Access command the client and server exchange, and decoders for the
 * payloads that are not DBR data. Field placement follows the "Channel Access Protocol Specification"
 * and rsrv's camessage.c; each builder names the header fields the command uses.
 */
import {
  CA_MINOR_PROTOCOL_REVISION,
  CA_PROTO_ACCESS_RIGHTS,
  CA_PROTO_ACCESS_RIGHT_READ,
  CA_PROTO_ACCESS_RIGHT_WRITE,
  CA_PROTO_CLEAR_CHANNEL,
  CA_PROTO_CLIENT_NAME,
  CA_PROTO_CREATE_CHAN,
  CA_PROTO_CREATE_CH_FAIL,
  CA_PROTO_ECHO,
  CA_PROTO_ERROR,
  CA_PROTO_EVENTS_OFF,
  CA_PROTO_EVENTS_ON,
  CA_PROTO_EVENT_ADD,
  CA_PROTO_EVENT_CANCEL,
  CA_PROTO_HOST_NAME,
  CA_PROTO_NOT_FOUND,
  CA_PROTO_READ_NOTIFY,
  CA_PROTO_READ_SYNC,
  CA_PROTO_RSRV_IS_UP,
  CA_PROTO_SEARCH,
  CA_PROTO_SERVER_DISCONN,
  CA_PROTO_VERSION,
  CA_PROTO_WRITE,
  CA_PROTO_WRITE_NOTIFY,
  DONTREPLY,
  REPEATER_CONFIRM,
  REPEATER_REGISTER,
  sequenceNoIsValid,
  unreasonablePVNameSize,
} from '../constants.ts';
import { CaProtocolError } from './errors.ts';
import { decodeHeader, encodeHeader, encodeMessage, type CaHeader, type CaMessage } from './header.ts';

/** `p1` of a UDP search reply meaning "connect to the address the reply came from" */
export const SEARCH_REPLY_USE_SENDER_ADDRESS = 0xffffffff;

/** A NUL-terminated string, as names travel (the frame pads it to 8 bytes). */
export function encodeCString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(bytes.length + 1);
  bytes.copy(out);
  return out;
}

/** The text up to the first NUL (or the whole payload when there is none). */
export function decodeCString(payload: Buffer): string {
  const end = payload.indexOf(0);
  return payload.toString('utf8', 0, end === -1 ? payload.length : end);
}

/** A PV name from a SEARCH or CREATE_CHAN payload; empty or unreasonably long names are garbage. */
export function decodeChannelName(payload: Buffer): string {
  const name = decodeCString(payload);
  if (name.length === 0) throw new CaProtocolError('empty channel name');
  if (Buffer.byteLength(name) > unreasonablePVNameSize) throw new CaProtocolError(`channel name over ${unreasonablePVNameSize} bytes`);
  return name;
}

/** '127.0.0.1' → 0x7f000001 */
export function ipv4ToNumber(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new CaProtocolError(`not an IPv4 address: ${address}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** 0x7f000001 → '127.0.0.1' */
export function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

// ---- circuit and datagram set-up ----------------------------------------------------------------

/** TCP VERSION, the first message on a circuit: `dataType` = priority, `count` = minor revision. */
export function versionMessage(options: { priority?: number; minorVersion?: number } = {}): Buffer {
  return encodeMessage({ command: CA_PROTO_VERSION, dataType: options.priority ?? 0, dataCount: options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION });
}

/**
 * The VERSION that leads a UDP datagram (minor ≥ 11): `dataType` = sequenceNoIsValid and `p1` = the
 * sequence number, which a server echoes in the VERSION leading its reply.
 */
export function udpVersionMessage(options: { sequenceNumber: number; minorVersion?: number }): Buffer {
  return encodeMessage({
    command: CA_PROTO_VERSION,
    dataType: sequenceNoIsValid,
    dataCount: options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION,
    p1: options.sequenceNumber >>> 0,
  });
}

export function hostNameMessage(hostName: string): Buffer {
  return encodeMessage({ command: CA_PROTO_HOST_NAME, payload: encodeCString(hostName) });
}

export function clientNameMessage(userName: string): Buffer {
  return encodeMessage({ command: CA_PROTO_CLIENT_NAME, payload: encodeCString(userName) });
}

export function echoMessage(): Buffer {
  return encodeMessage({ command: CA_PROTO_ECHO });
}

export function eventsOffMessage(): Buffer {
  return encodeMessage({ command: CA_PROTO_EVENTS_OFF });
}

export function eventsOnMessage(): Buffer {
  return encodeMessage({ command: CA_PROTO_EVENTS_ON });
}

export function readSyncMessage(): Buffer {
  return encodeMessage({ command: CA_PROTO_READ_SYNC });
}

// ---- name resolution ----------------------------------------------------------------------------

/** SEARCH request: `dataType` = DOREPLY/DONTREPLY, `count` = minor revision, p1 = p2 = cid, payload = name. */
export function searchRequest(options: { name: string; cid: number; reply?: number; minorVersion?: number }): Buffer {
  return encodeMessage({
    command: CA_PROTO_SEARCH,
    dataType: options.reply ?? DONTREPLY,
    dataCount: options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION,
    p1: options.cid,
    p2: options.cid,
    payload: encodeCString(options.name),
  });
}

/** SEARCH reply: `dataType` = server TCP port, p1 = server IPv4 (or "use the sender"), p2 = cid, payload `u16 minor`. */
export function searchResponse(options: { port: number; cid: number; serverAddress?: number; minorVersion?: number }): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION);
  return encodeMessage({
    command: CA_PROTO_SEARCH,
    dataType: options.port,
    p1: options.serverAddress ?? SEARCH_REPLY_USE_SENDER_ADDRESS,
    p2: options.cid,
    payload,
  });
}

export interface SearchReply {
  port: number;
  /** undefined when the reply means "the address it came from" */
  serverAddress: string | undefined;
  cid: number;
  /** the server's minor revision; 0 when an old server sent none */
  minorVersion: number;
}

export function decodeSearchResponse(message: CaMessage): SearchReply {
  return {
    port: message.dataType,
    serverAddress: message.p1 === SEARCH_REPLY_USE_SENDER_ADDRESS || message.p1 === 0 ? undefined : numberToIpv4(message.p1),
    cid: message.p2,
    minorVersion: message.payload.length >= 2 ? message.payload.readUInt16BE(0) : 0,
  };
}

/** NOT_FOUND, answering a TCP SEARCH sent with DOREPLY: the request's fields echoed. */
export function notFoundMessage(request: CaHeader): Buffer {
  return encodeMessage({ command: CA_PROTO_NOT_FOUND, dataType: request.dataType, dataCount: request.dataCount, p1: request.p1, p2: request.p2 });
}

// ---- channels -----------------------------------------------------------------------------------

/** CREATE_CHAN request: p1 = cid, p2 = the client's minor revision, payload = name. */
export function createChannelRequest(options: { name: string; cid: number; minorVersion?: number }): Buffer {
  return encodeMessage({
    command: CA_PROTO_CREATE_CHAN,
    p1: options.cid,
    p2: options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION,
    payload: encodeCString(options.name),
  });
}

/** CREATE_CHAN reply: `dataType`/`count` = native type and count, p1 = cid, p2 = sid. */
export function createChannelResponse(options: { nativeType: number; nativeCount: number; cid: number; sid: number }): Buffer {
  return encodeMessage({ command: CA_PROTO_CREATE_CHAN, dataType: options.nativeType, dataCount: options.nativeCount, p1: options.cid, p2: options.sid });
}

export function createChannelFailMessage(cid: number): Buffer {
  return encodeMessage({ command: CA_PROTO_CREATE_CH_FAIL, p1: cid });
}

/** SERVER_DISCONN: the server dropped the channel (e.g. its PV was removed); p1 = cid. */
export function serverDisconnMessage(cid: number): Buffer {
  return encodeMessage({ command: CA_PROTO_SERVER_DISCONN, p1: cid });
}

/** CLEAR_CHANNEL request and its echoed confirmation: p1 = sid, p2 = cid. */
export function clearChannelMessage(options: { sid: number; cid: number }): Buffer {
  return encodeMessage({ command: CA_PROTO_CLEAR_CHANNEL, p1: options.sid, p2: options.cid });
}

export interface AccessRights {
  read: boolean;
  write: boolean;
}

/** ACCESS_RIGHTS: p1 = cid, p2 bit 0 = read, bit 1 = write. */
export function accessRightsMessage(options: { cid: number } & AccessRights): Buffer {
  const rights = (options.read ? CA_PROTO_ACCESS_RIGHT_READ : 0) | (options.write ? CA_PROTO_ACCESS_RIGHT_WRITE : 0);
  return encodeMessage({ command: CA_PROTO_ACCESS_RIGHTS, p1: options.cid, p2: rights });
}

export function decodeAccessRights(message: CaHeader): AccessRights {
  return { read: (message.p2 & CA_PROTO_ACCESS_RIGHT_READ) !== 0, write: (message.p2 & CA_PROTO_ACCESS_RIGHT_WRITE) !== 0 };
}

// ---- reads and writes ---------------------------------------------------------------------------

interface DataRequest {
  dataType: number;
  /** 0 asks for the native (dynamic) count (minor ≥ 13) */
  dataCount: number;
  sid: number;
  ioid: number;
}

/** READ_NOTIFY request: p1 = sid, p2 = ioid. */
export function readNotifyRequest(options: DataRequest): Buffer {
  return encodeMessage({ command: CA_PROTO_READ_NOTIFY, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.ioid });
}

/** READ_NOTIFY reply: p1 = ECA status, p2 = ioid, payload = DBR data. */
export function readNotifyResponse(options: { dataType: number; dataCount: number; status: number; ioid: number; payload: Buffer }): Buffer {
  return encodeMessage({ command: CA_PROTO_READ_NOTIFY, dataType: options.dataType, dataCount: options.dataCount, p1: options.status, p2: options.ioid, payload: options.payload });
}

/** WRITE (no reply unless it fails, then an ERROR): p1 = sid, p2 = ioid, payload = DBR data. */
export function writeRequest(options: DataRequest & { payload: Buffer }): Buffer {
  return encodeMessage({ command: CA_PROTO_WRITE, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.ioid, payload: options.payload });
}

/** WRITE_NOTIFY request: as WRITE, answered once the write has completed. */
export function writeNotifyRequest(options: DataRequest & { payload: Buffer }): Buffer {
  return encodeMessage({ command: CA_PROTO_WRITE_NOTIFY, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.ioid, payload: options.payload });
}

/** WRITE_NOTIFY reply: p1 = ECA status, p2 = ioid, no payload. */
export function writeNotifyResponse(options: { dataType: number; dataCount: number; status: number; ioid: number }): Buffer {
  return encodeMessage({ command: CA_PROTO_WRITE_NOTIFY, dataType: options.dataType, dataCount: options.dataCount, p1: options.status, p2: options.ioid });
}

// ---- subscriptions ------------------------------------------------------------------------------

/** caProto.h `mon_info`, the EVENT_ADD request payload */
export interface MonitorInfo {
  low: number;
  high: number;
  timeout: number;
  /** DBE_VALUE | DBE_LOG | DBE_ALARM | DBE_PROPERTY */
  mask: number;
}

/** EVENT_ADD request: p1 = sid, p2 = subscription id, payload = mon_info. */
export function eventAddRequest(options: { dataType: number; dataCount: number; sid: number; subscriptionId: number } & Partial<MonitorInfo>): Buffer {
  const payload = Buffer.alloc(16);
  payload.writeFloatBE(options.low ?? 0, 0);
  payload.writeFloatBE(options.high ?? 0, 4);
  payload.writeFloatBE(options.timeout ?? 0, 8);
  payload.writeUInt16BE(options.mask ?? 0, 12);
  return encodeMessage({ command: CA_PROTO_EVENT_ADD, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.subscriptionId, payload });
}

export function decodeMonitorInfo(payload: Buffer): MonitorInfo {
  if (payload.length < 14) throw new CaProtocolError(`EVENT_ADD payload of ${payload.length} bytes; mon_info needs 14`);
  return { low: payload.readFloatBE(0), high: payload.readFloatBE(4), timeout: payload.readFloatBE(8), mask: payload.readUInt16BE(12) };
}

/** EVENT_ADD update: p1 = ECA status, p2 = subscription id, payload = DBR data. */
export function eventAddResponse(options: { dataType: number; dataCount: number; status: number; subscriptionId: number; payload: Buffer }): Buffer {
  return encodeMessage({ command: CA_PROTO_EVENT_ADD, dataType: options.dataType, dataCount: options.dataCount, p1: options.status, p2: options.subscriptionId, payload: options.payload });
}

/** EVENT_CANCEL request: p1 = sid, p2 = subscription id. */
export function eventCancelRequest(options: { dataType: number; dataCount: number; sid: number; subscriptionId: number }): Buffer {
  return encodeMessage({ command: CA_PROTO_EVENT_CANCEL, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.subscriptionId });
}

/** The confirmation of an EVENT_CANCEL: an EVENT_ADD with no payload, p1 = sid, p2 = subscription id. */
export function eventCancelResponse(options: { dataType: number; dataCount: number; sid: number; subscriptionId: number }): Buffer {
  return encodeMessage({ command: CA_PROTO_EVENT_ADD, dataType: options.dataType, dataCount: options.dataCount, p1: options.sid, p2: options.subscriptionId });
}

// ---- errors -------------------------------------------------------------------------------------

/** ERROR: p1 = cid (or 0xFFFFFFFF), p2 = ECA status, payload = the offending request's header plus text. */
export function errorMessage(options: { cid: number; status: number; request: CaHeader; message: string }): Buffer {
  return encodeMessage({
    command: CA_PROTO_ERROR,
    p1: options.cid,
    p2: options.status,
    payload: Buffer.concat([encodeHeader(options.request), encodeCString(options.message)]),
  });
}

export interface ErrorReport {
  cid: number;
  status: number;
  /** the request the server refused, when the payload quotes a whole header */
  request: CaHeader | undefined;
  message: string;
}

export function decodeErrorMessage(message: CaMessage): ErrorReport {
  const quoted = decodeHeader(message.payload);
  return {
    cid: message.p1,
    status: message.p2,
    request: quoted?.header,
    message: quoted ? decodeCString(message.payload.subarray(quoted.headerSize)) : '',
  };
}

// ---- beacons and the repeater -------------------------------------------------------------------

/** RSRV_IS_UP beacon: `dataType` = minor, `count` = server port, p1 = beacon id, p2 = server IPv4 (0: the repeater fills in the sender). */
export function beaconMessage(options: { port: number; beaconId: number; serverAddress?: number; minorVersion?: number }): Buffer {
  return encodeMessage({
    command: CA_PROTO_RSRV_IS_UP,
    dataType: options.minorVersion ?? CA_MINOR_PROTOCOL_REVISION,
    dataCount: options.port,
    p1: options.beaconId >>> 0,
    p2: options.serverAddress ?? 0,
  });
}

export interface Beacon {
  minorVersion: number;
  port: number;
  beaconId: number;
  /** undefined when the sender left it 0 and no repeater filled it in */
  serverAddress: string | undefined;
}

export function decodeBeacon(message: CaHeader): Beacon {
  return {
    minorVersion: message.dataType,
    port: message.dataCount,
    beaconId: message.p1,
    serverAddress: message.p2 === 0 ? undefined : numberToIpv4(message.p2),
  };
}

/** REPEATER_REGISTER, sent by a client's UDP socket to the repeater: p2 = the client's IPv4. */
export function repeaterRegisterMessage(clientAddress: number): Buffer {
  return encodeMessage({ command: REPEATER_REGISTER, p2: clientAddress });
}

/** REPEATER_CONFIRM, the repeater's answer to a registration: p2 = the client's IPv4. */
export function repeaterConfirmMessage(clientAddress: number): Buffer {
  return encodeMessage({ command: REPEATER_CONFIRM, p2: clientAddress });
}
