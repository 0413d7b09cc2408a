import type { JsonDecodeFailure } from './envelope.ts';

/*
 * Request bodies are decoded here rather than by Fastify's parser so a failure can report where it
 * happened, as upstream does (`loc: ["body", <char offset>]`, spec §2.3), and so numbers that overflow
 * to ±Infinity (`1e999`) are refused like any other malformed JSON (spec §2.1).
 */

export class JsonBodyError extends Error implements JsonDecodeFailure {
  // The core classifies errors with this code as malformed JSON.
  readonly code = 'FST_ERR_CTP_INVALID_JSON_BODY';
  readonly statusCode = 400;
  constructor(
    readonly jsonOffset: number,
    readonly jsonReason: string,
  ) {
    super(`JSON decode error at ${jsonOffset}: ${jsonReason}`);
  }
}

// A big exponent is the only way valid JSON text can overflow a double; only then is the scan needed.
const MAY_OVERFLOW = /[eE]\+?\d{3}/;

/** undefined for an empty body (the route's schema then reports the body as missing). */
export function decodeJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw locateError(text) ?? new JsonBodyError(0, 'Expecting value');
  }
  if (MAY_OVERFLOW.test(text)) {
    const overflow = locateError(text);
    if (overflow) throw overflow;
  }
  return value;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/** Walks the text the way a strict JSON decoder does and names the first problem (Python's wording). */
function locateError(text: string): JsonBodyError | undefined {
  let i = 0;
  const fail = (reason: string, at = i) => new JsonBodyError(at, reason);
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  };

  const string = (): JsonBodyError | undefined => {
    const start = i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) return fail('Unterminated string starting at', start);
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !ESCAPES.has(next ?? '')) return fail('Invalid \\escape');
        i += next === 'u' ? 6 : 2;
        continue;
      }
      if (c < ' ') return fail('Invalid control character at');
      i++;
    }
  };

  const value = (): JsonBodyError | undefined => {
    skip();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') return container(c);
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return undefined;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (!number) return fail('Expecting value');
    if (!Number.isFinite(Number(number[0]))) return fail('Out of range float values are not JSON compliant');
    i += number[0].length;
    return undefined;
  };

  const container = (open: '{' | '['): JsonBodyError | undefined => {
    const close = open === '{' ? '}' : ']';
    i++;
    skip();
    if (text[i] === close) {
      i++;
      return undefined;
    }
    for (;;) {
      if (open === '{') {
        skip();
        if (text[i] !== '"') return fail('Expecting property name enclosed in double quotes');
        const key = string();
        if (key) return key;
        skip();
        if (text[i] !== ':') return fail("Expecting ':' delimiter");
        i++;
      }
      const item = value();
      if (item) return item;
      skip();
      if (text[i] === close) {
        i++;
        return undefined;
      }
      if (text[i] !== ',') return fail("Expecting ',' delimiter");
      i++;
    }
  };

  const problem = value();
  if (problem) return problem;
  skip();
  return i < text.length ? fail('Extra data') : undefined;
}
