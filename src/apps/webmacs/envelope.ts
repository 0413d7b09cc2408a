import type { ErrorEnvelope, Problem, ValidationIssue } from '../../core/http/index.ts';
import type { ValidationDetail } from './errors.ts';

/*
 * WebMACS answers every failure as `{"detail": "<message>"}`, and validation failures as the list FastAPI
 * builds from Pydantic errors (spec §2.3): `{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`.
 * Ajv keywords are mapped to the Pydantic error types the upstream clients already know how to show.
 */

/** What the request carried, by location, so each item can echo its `input` as Pydantic does. */
export interface RequestInputs {
  body?: unknown;
  query?: unknown;
  path?: unknown;
}

/** Thrown by the webmacs JSON parser; `offset` is the character where decoding failed (`loc: ["body", offset]`). */
export interface JsonDecodeFailure {
  jsonOffset?: number;
  jsonReason?: string;
  /** the raw body of a non-JSON content type on a JSON route */
  rawBody?: string;
}

const FIXED_MESSAGES: Partial<Record<Problem['kind'], string>> = {
  not_found: 'Not Found',
  method_not_allowed: 'Method Not Allowed',
  payload_too_large: 'Request body too large.',
  rate_limited: 'Too many requests. Please try again later.',
  unavailable: 'Database unavailable.',
  internal: 'Internal server error.',
};

const STORAGE_FULL_CODES = new Set(['SQLITE_FULL', '53100']);

export const webmacsEnvelope: ErrorEnvelope = (problem) => {
  switch (problem.kind) {
    case 'app': {
      const detail = problem.extras?.detail;
      return { status: problem.status, body: { detail: Array.isArray(detail) ? detail : problem.message } };
    }
    case 'validation':
      return { status: 422, body: { detail: pydanticDetails(problem.validation ?? [], (problem.cause as { requestInputs?: RequestInputs } | undefined)?.requestInputs) } };
    case 'malformed_json':
      return { status: 422, body: { detail: [jsonDecodeDetail(problem)] } };
    case 'unsupported_media_type':
      return { status: 422, body: { detail: [notAnObject(['body'], (problem.cause as JsonDecodeFailure | undefined)?.rawBody ?? null)] } };
    case 'unavailable':
      return { status: 503, body: { detail: FIXED_MESSAGES.unavailable }, headers: { 'Retry-After': '1' } };
    case 'internal': {
      const code = (problem.cause as { code?: string } | undefined)?.code;
      if (code && STORAGE_FULL_CODES.has(code)) return { status: 503, body: { detail: 'Storage full.' } };
      return { status: 500, body: { detail: FIXED_MESSAGES.internal } };
    }
    default:
      return { status: problem.status, body: { detail: FIXED_MESSAGES[problem.kind] ?? problem.message } };
  }
};

function jsonDecodeDetail(problem: Problem): ValidationDetail {
  const failure = problem.cause as JsonDecodeFailure | undefined;
  if (failure?.jsonOffset === undefined) {
    // The framework refused the body before decoding (bad Content-Length and the like).
    return { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: problem.message } };
  }
  return {
    type: 'json_invalid',
    loc: ['body', failure.jsonOffset],
    msg: 'JSON decode error',
    input: {},
    ctx: { error: failure.jsonReason ?? 'Expecting value' },
  };
}

function notAnObject(loc: (string | number)[], input: unknown): ValidationDetail {
  return { type: 'model_attributes_type', loc, msg: 'Input should be a valid dictionary or object to extract fields from', input };
}

/** `items[3].name` → ['items', 3, 'name'] */
function segmentsOf(field: string): (string | number)[] {
  if (!field) return [];
  const segments: (string | number)[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const plural = (n: unknown) => (n === 1 ? '' : 's');

function pythonRepr(values: unknown[]): string {
  const quoted = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function emailReason(input: unknown): string {
  if (typeof input === 'string' && !input.includes('@')) return 'An email address must have an @-sign.';
  return 'The email address is not valid.';
}

type Mapped = Pick<ValidationDetail, 'type' | 'msg' | 'ctx'>;

function typeMismatch(expected: string, input: unknown): Mapped {
  const isString = typeof input === 'string';
  switch (expected) {
    case 'string':
      return { type: 'string_type', msg: 'Input should be a valid string' };
    case 'number':
      return isString
        ? { type: 'float_parsing', msg: 'Input should be a valid number, unable to parse string as a number' }
        : { type: 'float_type', msg: 'Input should be a valid number' };
    case 'integer':
      if (typeof input === 'number') return { type: 'int_from_float', msg: 'Input should be a valid integer, got a number with a fractional part' };
      return isString
        ? { type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' }
        : { type: 'int_type', msg: 'Input should be a valid integer' };
    case 'boolean':
      return isString
        ? { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' }
        : { type: 'bool_type', msg: 'Input should be a valid boolean' };
    case 'array':
      return { type: 'list_type', msg: 'Input should be a valid list' };
    default:
      return { type: 'model_attributes_type', msg: 'Input should be a valid dictionary or object to extract fields from' };
  }
}

function mapIssue(issue: ValidationIssue, input: unknown): Mapped | undefined {
  const p = issue.params ?? {};
  switch (issue.keyword) {
    case 'required':
      return { type: 'missing', msg: 'Field required' };
    case 'type':
      return typeMismatch(String(p.type).split(',')[0] ?? '', input);
    case 'minLength':
      return { type: 'string_too_short', msg: `String should have at least ${p.limit} character${plural(p.limit)}`, ctx: { min_length: p.limit } };
    case 'maxLength':
      return { type: 'string_too_long', msg: `String should have at most ${p.limit} character${plural(p.limit)}`, ctx: { max_length: p.limit } };
    case 'pattern':
      return { type: 'string_pattern_mismatch', msg: `String should match pattern '${p.pattern}'`, ctx: { pattern: p.pattern } };
    case 'enum':
    case 'const': {
      const expected = pythonRepr((p.allowedValues as unknown[] | undefined) ?? [p.allowedValue]);
      return { type: 'enum', msg: `Input should be ${expected}`, ctx: { expected } };
    }
    case 'minimum':
      return { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${p.limit}`, ctx: { ge: p.limit } };
    case 'exclusiveMinimum':
      return { type: 'greater_than', msg: `Input should be greater than ${p.limit}`, ctx: { gt: p.limit } };
    case 'maximum':
      return { type: 'less_than_equal', msg: `Input should be less than or equal to ${p.limit}`, ctx: { le: p.limit } };
    case 'exclusiveMaximum':
      return { type: 'less_than', msg: `Input should be less than ${p.limit}`, ctx: { lt: p.limit } };
    case 'minItems': {
      const actual = Array.isArray(input) ? input.length : 0;
      return {
        type: 'too_short',
        msg: `List should have at least ${p.limit} item${plural(p.limit)} after validation, not ${actual}`,
        ctx: { field_type: 'List', min_length: p.limit, actual_length: actual },
      };
    }
    case 'maxItems': {
      const actual = Array.isArray(input) ? input.length : 0;
      return {
        type: 'too_long',
        msg: `List should have at most ${p.limit} item${plural(p.limit)} after validation, not ${actual}`,
        ctx: { field_type: 'List', max_length: p.limit, actual_length: actual },
      };
    }
    case 'format': {
      const reason = p.format === 'email' ? emailReason(input) : `invalid ${String(p.format)}`;
      const msg = p.format === 'email' ? `value is not a valid email address: ${reason}` : `Value error, ${reason}`;
      return { type: 'value_error', msg, ctx: { reason } };
    }
    // anyOf/oneOf repeat what their branches already reported.
    case 'anyOf':
    case 'oneOf':
      return undefined;
    default:
      return { type: 'value_error', msg: `Value error, ${issue.message}` };
  }
}

/** One Pydantic-style item per location (Pydantic reports one error per field), in Ajv's order. */
export function pydanticDetails(issues: readonly ValidationIssue[], inputs: RequestInputs = {}): ValidationDetail[] {
  const details: ValidationDetail[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const segments = segmentsOf(issue.field);
    const root = inputs[issue.in as keyof RequestInputs];
    const isMissing = issue.keyword === 'required';
    // A missing field echoes its parent object, as Pydantic does.
    const input = valueAt(root, isMissing ? segments.slice(0, -1) : segments);
    const wholeBodyAbsent = issue.in === 'body' && segments.length === 0 && issue.keyword === 'type' && (root === undefined || root === null);
    const mapped = wholeBodyAbsent ? { type: 'missing', msg: 'Field required' } : mapIssue(issue, input);
    if (!mapped) continue;
    const loc = [issue.in, ...segments];
    const key = JSON.stringify(loc);
    if (seen.has(key)) continue;
    seen.add(key);
    details.push({ type: mapped.type, loc, msg: mapped.msg, input: input === undefined ? null : input, ...(mapped.ctx ? { ctx: mapped.ctx } : {}) });
  }
  return details;
}
