import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JsonDecodeFailure, RequestInputs } from './envelope.ts';
import { decodeJsonBody } from './json-body.ts';
import { installLaxNumbers } from './lax-numbers.ts';

/** A non-JSON content type on a route that expects JSON (upstream answers 422, spec §2.1). */
class NotJsonError extends Error implements JsonDecodeFailure {
  // The core classifies errors with this code as an unsupported media type; the envelope makes it a 422.
  readonly code = 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
  readonly statusCode = 415;
  constructor(readonly rawBody: string) {
    super('Request body is not JSON');
  }
}

function routeExpectsBody(request: FastifyRequest): boolean {
  return Boolean((request.routeOptions.schema as { body?: unknown } | undefined)?.body);
}

/**
 * Body decoding and error rendering for every webmacs route. A JSON body without Content-Type is
 * decoded as JSON (upstream FastAPI behaviour); other types are refused on routes that take a body.
 * Numeric strings count as numbers in number fields (§2.3). Validation failures carry the request's
 * values so each Pydantic-style item can echo its `input`.
 */
export function installWebmacsHttp(scope: FastifyInstance): void {
  // Response schemas document the API; serializing through them could silently drop a contract field.
  scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, decodeJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  scope.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (request.headers['content-type'] !== undefined) {
      if (routeExpectsBody(request)) done(new NotJsonError(text), undefined);
      else done(null, undefined);
      return;
    }
    try {
      done(null, decodeJsonBody(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  installLaxNumbers(scope);
  // onError runs before the error handler the server installed for this scope: the inputs ride on the error.
  scope.addHook('onError', async (request, _reply, error) => {
    if (Array.isArray((error as { validation?: unknown }).validation)) {
      const inputs: RequestInputs = { body: request.body, query: request.query, path: request.params };
      Object.assign(error, { requestInputs: inputs });
    }
  });
}
