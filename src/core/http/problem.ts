/**
 * The one error model of the platform. Every failure an app can produce — its own domain errors and
 * the framework's (unknown route, wrong method, oversized body, malformed JSON, schema violations,
 * rate limits, crashes) — becomes a Problem, and the owning app's envelope turns it into a response.
 * That is how each app answers only in its own error shape.
 */

export type ProblemKind =
  | 'app' // a domain error thrown by the app itself (AppError)
  | 'not_found' // no route matched under one of the app's prefixes
  | 'method_not_allowed' // the path exists with other methods; `allow` lists them
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'malformed_json'
  | 'bad_request' // a request the framework refused for another reason (bad URL encoding, …); keeps its 4xx status
  | 'validation' // schema validation of body, query, params or headers
  | 'rate_limited'
  | 'unavailable' // a dependency such as the database is unreachable
  | 'internal'; // anything unexpected: never leak the message

export interface ValidationIssue {
  /** where the bad value came from: body, query, params (path), headers */
  in: 'body' | 'query' | 'path' | 'header';
  /** dotted or indexed field path, e.g. `title`, `[3].setpoint_address`; '' for the whole part */
  field: string;
  message: string;
  /** the JSON-schema keyword that failed (required, type, minLength…), when known */
  keyword?: string;
  /** the JSON-schema params of that failure, when known */
  params?: Record<string, unknown>;
}

export interface Problem {
  kind: ProblemKind;
  status: number;
  /** the app's stable code for kind 'app'; otherwise unset and chosen by the envelope */
  code?: string;
  message: string;
  /** extra fields an app error carries (e.g. `required`, `balance`) */
  extras?: Record<string, unknown>;
  validation?: ValidationIssue[];
  /** for method_not_allowed */
  allow?: string[];
  /** for rate_limited: seconds until a retry may succeed */
  retryAfter?: number;
  /** headers the problem wants on the response (WWW-Authenticate, Retry-After…) */
  headers?: Record<string, string>;
  /** the original error, for logs only */
  cause?: unknown;
}

export interface EnvelopeResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An app maps every problem to its own envelope. It may change the status (e.g. malformed JSON → 422). */
export type ErrorEnvelope = (problem: Problem, requestId: string) => EnvelopeResult;

/**
 * A domain error. Apps create them in their own `errors.ts` (one place per app, with stable codes) and
 * throw them from services and routes.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extras?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { extras?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.extras = options.extras;
    this.headers = options.headers;
  }
}
