import { CaProtocolError } from './errors.ts';

/** Bytes in a standard message header (caProto.h `caHdr`). */
export const CA_HEADER_SIZE = 16;
/** Bytes in an extended header: the standard one plus `u32 payload_size, u32 data_count` (minor ≥ 9). */
export const CA_EXTENDED_HEADER_SIZE = 24;
/** Default limit for one message's payload, EPICS_CA_MAX_ARRAY_BYTES as pyepics sets it, plus its header room. */
export const DEFAULT_MAX_PAYLOAD_SIZE = 16_777_216 + 1024;

/**
 * One message header with the extended form already resolved: `payloadSize` and `dataCount` are the
 * real values whichever form was on the wire. `p1`/`p2` are caProto.h's `m_cid`/`m_available`, whose
 * meaning depends on the command.
 */
export interface CaHeader {
  command: number;
  payloadSize: number;
  dataType: number;
  dataCount: number;
  p1: number;
  p2: number;
}

/** A whole message: its header and a view of exactly `payloadSize` payload bytes (padding included). */
export interface CaMessage extends CaHeader {
  payload: Buffer;
}

/** What a sender chooses; `encodeMessage` fills in the sizes and the padding. */
export interface CaMessageFields {
  command: number;
  dataType?: number;
  dataCount?: number;
  p1?: number;
  p2?: number;
  payload?: Buffer;
}

/** Payloads are padded to a multiple of 8 bytes (caProto.h `CA_MESSAGE_ALIGN`). */
export function alignedSize(size: number): number {
  return (size + 7) & ~7;
}

/** Whether a message with this payload size and count needs the extended header. */
export function needsExtendedHeader(payloadSize: number, dataCount: number): boolean {
  return payloadSize >= 0xffff || dataCount > 0xffff;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CaProtocolError(`header field ${name}=${value} is outside 0..${max}`);
  }
}

/** Writes a header (standard or, when the sizes need it, extended) at `offset`; returns the header size. */
export function writeHeader(target: Buffer, offset: number, header: CaHeader): number {
  checkField('command', header.command, 0xffff);
  checkField('dataType', header.dataType, 0xffff);
  checkField('payloadSize', header.payloadSize, 0xffffffff);
  checkField('dataCount', header.dataCount, 0xffffffff);
  checkField('p1', header.p1, 0xffffffff);
  checkField('p2', header.p2, 0xffffffff);
  const extended = needsExtendedHeader(header.payloadSize, header.dataCount);
  target.writeUInt16BE(header.command, offset);
  target.writeUInt16BE(extended ? 0xffff : header.payloadSize, offset + 2);
  target.writeUInt16BE(header.dataType, offset + 4);
  target.writeUInt16BE(extended ? 0 : header.dataCount, offset + 6);
  target.writeUInt32BE(header.p1, offset + 8);
  target.writeUInt32BE(header.p2, offset + 12);
  if (!extended) return CA_HEADER_SIZE;
  target.writeUInt32BE(header.payloadSize, offset + 16);
  target.writeUInt32BE(header.dataCount, offset + 20);
  return CA_EXTENDED_HEADER_SIZE;
}

/** The header's own bytes (16 or 24), e.g. to quote a request inside an ERROR message. */
export function encodeHeader(header: CaHeader): Buffer {
  const size = needsExtendedHeader(header.payloadSize, header.dataCount) ? CA_EXTENDED_HEADER_SIZE : CA_HEADER_SIZE;
  const target = Buffer.alloc(size);
  writeHeader(target, 0, header);
  return target;
}

/** One complete message: header (extended when needed) followed by the payload zero-padded to 8 bytes. */
export function encodeMessage(fields: CaMessageFields): Buffer {
  const payload = fields.payload;
  const payloadSize = alignedSize(payload?.length ?? 0);
  const header: CaHeader = {
    command: fields.command,
    payloadSize,
    dataType: fields.dataType ?? 0,
    dataCount: fields.dataCount ?? 0,
    p1: fields.p1 ?? 0,
    p2: fields.p2 ?? 0,
  };
  const headerSize = needsExtendedHeader(payloadSize, header.dataCount) ? CA_EXTENDED_HEADER_SIZE : CA_HEADER_SIZE;
  const frame = Buffer.alloc(headerSize + payloadSize);
  writeHeader(frame, 0, header);
  payload?.copy(frame, headerSize);
  return frame;
}

/**
 * Reads the header at `offset`. Returns undefined when `source` does not yet hold the whole header
 * (16 bytes, or 24 when the first 16 announce the extended form); never reads past `source`.
 */
export function decodeHeader(source: Buffer, offset = 0): { header: CaHeader; headerSize: number } | undefined {
  if (source.length - offset < CA_HEADER_SIZE) return undefined;
  const command = source.readUInt16BE(offset);
  const shortSize = source.readUInt16BE(offset + 2);
  const dataType = source.readUInt16BE(offset + 4);
  const shortCount = source.readUInt16BE(offset + 6);
  const p1 = source.readUInt32BE(offset + 8);
  const p2 = source.readUInt32BE(offset + 12);
  if (shortSize === 0xffff && shortCount === 0) {
    if (source.length - offset < CA_EXTENDED_HEADER_SIZE) return undefined;
    const payloadSize = source.readUInt32BE(offset + 16);
    const dataCount = source.readUInt32BE(offset + 20);
    return { header: { command, payloadSize, dataType, dataCount, p1, p2 }, headerSize: CA_EXTENDED_HEADER_SIZE };
  }
  return { header: { command, payloadSize: shortSize, dataType, dataCount: shortCount, p1, p2 }, headerSize: CA_HEADER_SIZE };
}

/** a message object of one fixed shape (object spread is measurably slower on the bulk path) */
function withPayload(header: CaHeader, payload: Buffer): CaMessage {
  return {
    command: header.command,
    payloadSize: header.payloadSize,
    dataType: header.dataType,
    dataCount: header.dataCount,
    p1: header.p1,
    p2: header.p2,
    payload,
  };
}

/**
 * Splits one UDP datagram into its messages. A datagram is never split across receives, so a message
 * that runs past its end is garbage: CaProtocolError.
 */
export function decodeDatagram(datagram: Buffer): CaMessage[] {
  const messages: CaMessage[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const decoded = decodeHeader(datagram, offset);
    if (!decoded) throw new CaProtocolError(`datagram ends inside a header at byte ${offset} of ${datagram.length}`);
    const start = offset + decoded.headerSize;
    const end = start + decoded.header.payloadSize;
    if (end > datagram.length) {
      throw new CaProtocolError(`message at byte ${offset} announces ${decoded.header.payloadSize} payload bytes; the datagram has ${datagram.length - start}`);
    }
    messages.push(withPayload(decoded.header, datagram.subarray(start, end)));
    offset = end;
  }
  return messages;
}

/**
 * Reassembles TCP stream chunks into whole messages. Chunks may split a message anywhere (even inside
 * a header) or carry many; bytes are buffered until a message is complete, and a large message is
 * concatenated once, when its last chunk arrives. A header announcing more than `maxPayloadSize`
 * bytes throws CaProtocolError; the circuit is then unusable and must be closed.
 */
export class CaFrameSplitter {
  readonly #maxPayloadSize: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** bytes needed before parsing can progress */
  #needed = CA_HEADER_SIZE;

  constructor(options: { maxPayloadSize?: number } = {}) {
    this.#maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
  }

  /** bytes received that do not yet form a whole message */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): CaMessage[] {
    if (chunk.length === 0) return [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered < this.#needed) return [];
    const source = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#buffered);
    const messages: CaMessage[] = [];
    let offset = 0;
    for (;;) {
      const decoded = decodeHeader(source, offset);
      if (!decoded) {
        this.#needed = source.length - offset < CA_HEADER_SIZE ? CA_HEADER_SIZE : CA_EXTENDED_HEADER_SIZE;
        break;
      }
      const { header, headerSize } = decoded;
      if (header.payloadSize > this.#maxPayloadSize) {
        this.#chunks = [];
        this.#buffered = 0;
        this.#needed = CA_HEADER_SIZE;
        throw new CaProtocolError(`message announces ${header.payloadSize} payload bytes, over the ${this.#maxPayloadSize}-byte limit`);
      }
      const total = headerSize + header.payloadSize;
      if (source.length - offset < total) {
        this.#needed = total;
        break;
      }
      messages.push(withPayload(header, source.subarray(offset + headerSize, offset + total)));
      offset += total;
    }
    const rest = source.subarray(offset);
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
    return messages;
  }
}
