import type { FastifyInstance } from 'fastify';

/*
 * Pydantic lax mode for request bodies (spec §2.3): a string holding a number is accepted where the
 * schema wants a number or an integer. Bodies are otherwise validated without coercion (no booleans
 * from strings, no strings from numbers), so this converts exactly those fields before validation.
 * Anything that does not parse is left as it is and fails validation as `float_parsing`/`int_parsing`.
 */

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

type Coerce = (value: unknown) => unknown;

// Python float() syntax without inf/nan (non-finite values are refused, spec §2.1).
const FLOAT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
// pydantic-core takes `"42"` and `"42.000"` for an int, never `"42.5"`.
const INTEGER = /^\s*([+-]?\d+)(?:\.0*)?\s*$/;

function toNumber(text: string): number | undefined {
  if (!FLOAT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function toInteger(text: string): number | undefined {
  const digits = INTEGER.exec(text)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function numeric(parse: (text: string) => number | undefined): Coerce {
  return (value) => (typeof value === 'string' ? (parse(value) ?? value) : value);
}

function objectCoercer(schema: JsonSchema): Coerce | undefined {
  const fields = Object.entries(schema.properties ?? {}).flatMap(([name, property]) => {
    const coerce = compile(property);
    return coerce ? [[name, coerce] as const] : [];
  });
  if (fields.length === 0) return undefined;
  return (value) => {
    if (!isObject(value)) return value;
    for (const [name, coerce] of fields) {
      if (Object.hasOwn(value, name)) value[name] = coerce(value[name]);
    }
    return value;
  };
}

function arrayCoercer(schema: JsonSchema): Coerce | undefined {
  const item = schema.items && compile(schema.items);
  if (!item) return undefined;
  return (value) => (Array.isArray(value) ? value.map(item) : value);
}

/** A union coerces a string only when no branch takes strings as they are. */
function unionCoercer(branches: JsonSchema[]): Coerce | undefined {
  const takesStrings = branches.some((branch) => branch.type === 'string');
  const numberBranch = branches.find((branch) => branch.type === 'number') ?? branches.find((branch) => branch.type === 'integer');
  const forString = takesStrings || !numberBranch ? undefined : compile(numberBranch);
  const forObject = branches.map((branch) => (branch.type === 'object' ? objectCoercer(branch) : undefined)).find(Boolean);
  const forArray = branches.map((branch) => (branch.type === 'array' ? arrayCoercer(branch) : undefined)).find(Boolean);
  if (!forString && !forObject && !forArray) return undefined;
  return (value) => {
    if (typeof value === 'string') return forString ? forString(value) : value;
    if (Array.isArray(value)) return forArray ? forArray(value) : value;
    return isObject(value) && forObject ? forObject(value) : value;
  };
}

/** The converter for values of this schema, or undefined when it has no number fields. */
export function compile(schema: JsonSchema): Coerce | undefined {
  if (schema.anyOf) return unionCoercer(schema.anyOf);
  switch (schema.type) {
    case 'number':
      return numeric(toNumber);
    case 'integer':
      return numeric(toInteger);
    case 'object':
      return objectCoercer(schema);
    case 'array':
      return arrayCoercer(schema);
    default:
      return undefined;
  }
}

export function installLaxNumbers(scope: FastifyInstance): void {
  const coercers = new WeakMap<object, Coerce | null>();
  scope.addHook('preValidation', async (request) => {
    const schema = (request.routeOptions.schema as { body?: JsonSchema } | undefined)?.body;
    if (!schema || request.body === undefined) return;
    let coerce = coercers.get(schema);
    if (coerce === undefined) {
      coerce = compile(schema) ?? null;
      coercers.set(schema, coerce);
    }
    if (coerce) request.body = coerce(request.body);
  });
}
