import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { ValidationIssue } from './problem.ts';

const shared: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  // TypeBox adds `kind` and `modifier` keywords; they are metadata, not validation.
  keywords: ['kind', 'modifier'],
};

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ ...shared, coerceTypes });
  addFormats.default(ajv);
  return ajv;
}

// Query strings, path params and headers arrive as text and are converted; JSON bodies never are:
// "5" for a number or 1 for a boolean must be a validation error, as the seeds' clients expect.
const coercing = makeAjv('array');
const strictBody = makeAjv(false);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strictBody : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

const PART_NAMES: Record<string, ValidationIssue['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** `/items/3/name` → `items[3].name`; a missing property names itself. */
function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  return segments.reduce((path, segment) => {
    if (/^\d+$/.test(segment)) return `${path}[${segment}]`;
    return path ? `${path}.${segment}` : segment;
  }, '');
}

export function issuesFromAjv(errors: readonly ErrorObject[], context: string): ValidationIssue[] {
  const where = PART_NAMES[context] ?? 'body';
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    // anyOf/oneOf report every branch; keep the first message per field so the list stays readable.
    const field = fieldOf(error);
    const message = error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
    const key = `${field}\u0000${error.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ in: where, field, message, keyword: error.keyword, params: error.params as Record<string, unknown> });
  }
  return issues;
}
