import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** interval of `: ping` comments that keep proxies and clients from timing out (default 15 s) */
  heartbeatMs?: number;
  /** bytes the client may fall behind before it is dropped as a slow consumer (default 1 MiB) */
  maxBufferedBytes?: number;
  /** extra response headers; they win over the reply's and the stream's own */
  headers?: OutgoingHttpHeaders;
}

export interface SseEvent {
  event?: string;
  /** a string is sent as is (split into `data:` lines); anything else as JSON */
  data: unknown;
  id?: string | number;
  /** reconnection delay the client should use, in milliseconds */
  retry?: number;
}

/** `client` disconnected, `server` called close(), `slow-consumer` fell behind maxBufferedBytes */
export type SseCloseReason = 'client' | 'server' | 'slow-consumer';

export interface SseStream {
  /** false when the stream is closed, or was just closed because the client is too slow */
  send(event: SseEvent): boolean;
  comment(text: string): boolean;
  readonly closed: boolean;
  readonly closeReason: SseCloseReason | undefined;
  /** aborted when the stream closes for any reason: hand it to the work feeding the stream */
  readonly signal: AbortSignal;
  /** ends the response cleanly */
  close(): void;
}

/**
 * Turns the reply into a `text/event-stream`. Writes never wait for the client: whatever it has not
 * read yet stays in the socket's buffer, and past maxBufferedBytes the connection is dropped so one
 * stalled client cannot grow the server's memory.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, options: SseOptions = {}): SseStream {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const response = reply.raw;
  const aborter = new AbortController();
  let closeReason: SseCloseReason | undefined;

  const headers: OutgoingHttpHeaders = {
    // set by earlier hooks (X-Request-Id, CORS, security headers): hijacking skips Fastify's own send
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compressing proxies would otherwise buffer the stream
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to
    'x-accel-buffering': 'no',
    ...options.headers,
  };
  delete headers['content-length'];
  // HTTP/2 forbids connection-specific headers
  if (request.raw.httpVersionMajor === 1) headers.connection = 'keep-alive';

  reply.hijack();
  response.writeHead(200, headers);
  response.flushHeaders();

  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();

  const finish = (reason: SseCloseReason) => {
    if (closeReason) return;
    closeReason = reason;
    clearInterval(heartbeat);
    aborter.abort();
  };
  response.on('close', () => finish('client'));

  function write(chunk: string): boolean {
    if (closeReason) return false;
    // writableLength counts what the socket still holds for this client
    if (response.writableLength + Buffer.byteLength(chunk) > maxBufferedBytes) {
      request.log.warn({ bufferedBytes: response.writableLength }, 'dropping a slow SSE client');
      finish('slow-consumer');
      response.destroy();
      return false;
    }
    response.write(chunk);
    return true;
  }

  return {
    send: (event) => write(formatEvent(event)),
    comment: (text) => write(`${prefixLines(': ', text)}\n`),
    get closed() {
      return closeReason !== undefined;
    },
    get closeReason() {
      return closeReason;
    },
    signal: aborter.signal,
    close() {
      if (closeReason) return;
      finish('server');
      response.end();
    },
  };
}

/** The wire form of one event: fields, then one `data:` line per line of data, then a blank line. */
export function formatEvent(event: SseEvent): string {
  let text = '';
  if (event.id !== undefined) text += `id: ${singleLine('id', String(event.id), /[\r\n\0]/)}\n`;
  if (event.event !== undefined) text += `event: ${singleLine('event', event.event, /[\r\n]/)}\n`;
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0) throw new TypeError(`SSE retry must be a non-negative integer, got ${event.retry}`);
    text += `retry: ${event.retry}\n`;
  }
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  if (data === undefined) throw new TypeError('SSE data cannot be serialised to JSON');
  return `${text}${prefixLines('data: ', data)}\n`;
}

function prefixLines(prefix: string, text: string): string {
  // the SSE parser ends a line at CRLF, CR or LF alike
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `${prefix}${line}\n`)
    .join('');
}

function singleLine(field: string, value: string, forbidden: RegExp): string {
  if (forbidden.test(value)) throw new TypeError(`SSE ${field} cannot contain line breaks or NUL: ${JSON.stringify(value)}`);
  return value;
}
