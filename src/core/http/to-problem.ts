import type { FastifyError } from 'fastify';
import type { ErrorObject } from 'ajv';
import { AppError, type Problem } from './problem.ts';
import { issuesFromAjv } from './validation.ts';

interface ValidationFailure {
  validation: ErrorObject[];
  validationContext: string;
}

const BY_FASTIFY_CODE: Record<string, Problem['kind']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_json',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
};

const FRAMEWORK_MESSAGES: Partial<Record<Problem['kind'], string>> = {
  payload_too_large: 'Request body is too large',
  unsupported_media_type: 'Unsupported media type',
  malformed_json: 'Request body is not valid JSON',
};

/** Problems whose error is a transient outage of the database or cache, not a bug. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001', 'SQLITE_BUSY']);

export function problemFromError(error: unknown): Problem {
  if (error instanceof AppError) {
    return {
      kind: 'app',
      status: error.status,
      code: error.code,
      message: error.message,
      extras: error.extras,
      headers: error.headers,
    };
  }
  const e = error as Partial<FastifyError> & { validation?: unknown; statusCode?: number };
  if (Array.isArray(e?.validation)) {
    const failure = e as unknown as ValidationFailure;
    const validation = issuesFromAjv(failure.validation, failure.validationContext);
    const first = validation[0];
    const message = first ? `${first.in}${first.field ? `.${first.field}` : ''}: ${first.message}` : 'Invalid request';
    return { kind: 'validation', status: 422, message, validation, cause: error };
  }
  const kind = e?.code ? BY_FASTIFY_CODE[e.code] : undefined;
  if (kind) {
    const status = kind === 'payload_too_large' ? 413 : kind === 'unsupported_media_type' ? 415 : 400;
    return { kind, status, message: FRAMEWORK_MESSAGES[kind] ?? 'Bad request', cause: error };
  }
  if (e?.code === 'FST_ERR_RATE_LIMIT' || e?.statusCode === 429) {
    return { kind: 'rate_limited', status: 429, message: 'Too many requests', cause: error };
  }
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) {
    return { kind: 'unavailable', status: 503, message: 'Service temporarily unavailable', headers: { 'Retry-After': '5' }, cause: error };
  }
  // A framework 4xx we do not classify (bad URL encoding, header too large…) keeps its status.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { kind: 'bad_request', status: e.statusCode, message: e.message ?? 'Bad request', cause: error };
  }
  return { kind: 'internal', status: 500, message: 'Internal server error', cause: error };
}
