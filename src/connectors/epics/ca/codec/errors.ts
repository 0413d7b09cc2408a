import { caMessage, ecaName } from '../constants.ts';

/**
 * The only error the codec throws: a frame, payload or value that does not fit the protocol (truncated,
 * garbage, oversized, an unknown DBR type). A server or client that catches it drops the offending
 * datagram or circuit and carries on.
 */
export class CaProtocolError extends Error {
  override readonly name = 'CaProtocolError';
}

/**
 * A Channel Access operation that failed with an ECA status code (caerr.h), e.g. a value that cannot
 * be converted (ECA_BADTYPE) or a write without access (ECA_NOWTACCESS). `status` is what goes on
 * the wire; the message is libca's text for it.
 */
export class CaStatusError extends Error {
  override readonly name = 'CaStatusError';
  readonly status: number;

  constructor(status: number, detail?: string) {
    super(`${ecaName(status)}: ${caMessage(status)}${detail ? ` (${detail})` : ''}`);
    this.status = status;
  }
}
