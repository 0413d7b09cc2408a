import type { ErrorEnvelope, ValidationIssue } from '../../core/http/index.ts';

/**
 * Squirrel's error body (seed): `{"code","detail"}`, plus `errors` for validation (spec D3). Framework
 * problems without a domain code answer `no_code_given` (D4); malformed JSON is a 422 as in FastAPI.
 */
export const squirrelEnvelope: ErrorEnvelope = (problem, requestId) => {
  const headers = problem.headers;
  switch (problem.kind) {
    case 'app': {
      const extraErrors = problem.extras?.errors as ValidationIssue[] | undefined;
      return { status: problem.status, body: { code: problem.code, detail: problem.message, ...(extraErrors ? { errors: extraErrors } : {}) }, headers };
    }
    case 'validation':
      return {
        status: 422,
        body: { code: 'validation_error', detail: problem.message, errors: (problem.validation ?? []).map(({ in: where, field, message }) => ({ in: where, field, message })) },
      };
    case 'malformed_json':
      return {
        status: 422,
        body: { code: 'validation_error', detail: `body: ${problem.message}`, errors: [{ in: 'body', field: '', message: problem.message }] },
      };
    case 'rate_limited':
      return { status: 429, body: { code: 'rate_limited', detail: problem.message } };
    case 'internal':
      return { status: 500, body: { code: 'unhandled_exception', detail: `Internal server error (request ${requestId})` } };
    case 'unavailable':
      return { status: 503, body: { code: 'no_code_given', detail: problem.message }, headers: { 'Retry-After': '5', ...headers } };
    default:
      return { status: problem.status, body: { code: 'no_code_given', detail: problem.message } };
  }
};
