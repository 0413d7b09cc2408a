import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { SsrfBlockedError, type SsrfGuard } from './ssrf.ts';

export interface DeliveryRequest {
  url: string;
  /** default POST */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** for the whole exchange: connect, send, and reading the (truncated) response */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * `http`: the receiver answered outside 2xx (3xx included: redirects are never followed, since the
 * new location would escape the guard's check).
 */
export type DeliveryErrorKind = 'blocked' | 'invalid_url' | 'invalid_request' | 'timeout' | 'aborted' | 'transport' | 'http';

export interface DeliveryResult {
  /** a 2xx answer */
  ok: boolean;
  /** null when no response arrived */
  status: number | null;
  durationMs: number;
  /** `HTTP 500`, `Timeout`, `Transport error: <reason>`, `Blocked destination address`… */
  error?: string;
  errorKind?: DeliveryErrorKind;
  /** the receiver's Retry-After, when it sent one */
  retryAfterMs?: number;
  /** the first 4 KiB of the response body, as UTF-8 */
  responseBody: string;
}

export const RESPONSE_BODY_LIMIT = 4096;

function retryAfterFrom(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['retry-after'];
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * One HTTP request through the SSRF guard. Never throws: every outcome is a DeliveryResult.
 * A fresh connection per delivery (no agent), so no pooled socket can bypass the guard's lookup.
 */
export function deliver(request: DeliveryRequest, guard: SsrfGuard): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failure = (errorKind: DeliveryErrorKind, error: string): DeliveryResult => ({
    ok: false,
    status: null,
    durationMs: elapsed(),
    error,
    errorKind,
    responseBody: '',
  });

  let target: URL;
  try {
    target = guard.checkUrl(request.url);
  } catch (err) {
    return Promise.resolve(err instanceof SsrfBlockedError ? failure('blocked', 'Blocked destination address') : failure('invalid_url', 'Invalid URL'));
  }
  if (request.signal?.aborted) return Promise.resolve(failure('aborted', 'Aborted'));

  const body = request.body ?? '';
  const headers: Record<string, string | number> = { ...request.headers, 'content-length': Buffer.byteLength(body) };
  const transport = target.protocol === 'https:' ? https : http;

  let outgoing: http.ClientRequest;
  try {
    outgoing = transport.request(target, { method: request.method ?? 'POST', headers, lookup: guard.lookup, agent: false });
  } catch (err) {
    // Node validates method and header values up front (a newline in a header, say).
    return Promise.resolve(failure('invalid_request', `Invalid request: ${(err as Error).message}`));
  }

  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const settle = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      outgoing.destroy();
      resolve(result);
    };

    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let received = 0;
      const complete = () => {
        const ok = status >= 200 && status < 300;
        settle({
          ok,
          status,
          durationMs: elapsed(),
          ...(ok ? {} : { error: `HTTP ${status}`, errorKind: 'http' as const }),
          retryAfterMs: retryAfterFrom(response.headers),
          responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
        });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        // The status is what counts; the rest of a large body is not worth waiting for.
        if (received >= RESPONSE_BODY_LIMIT) complete();
      });
      response.on('end', complete);
      // A receiver that answered and then dropped the connection mid-body still answered.
      response.on('error', complete);
      response.on('aborted', complete);
    });

    outgoing.on('error', (err) => {
      if (err instanceof SsrfBlockedError) settle(failure('blocked', 'Blocked destination address'));
      else settle(failure('transport', `Transport error: ${err.message}`));
    });
    const timer = setTimeout(() => settle(failure('timeout', 'Timeout')), request.timeoutMs);
    const onAbort = () => settle(failure('aborted', 'Aborted'));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.end(body);
  });
}
