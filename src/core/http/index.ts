import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EnvelopeResult, ErrorEnvelope, Problem } from './problem.ts';
import { MethodIndex, PrefixOwners } from './routing.ts';
import { problemFromError } from './to-problem.ts';
import { validatorCompiler } from './validation.ts';

export { AppError, type ErrorEnvelope, type Problem, type ProblemKind, type ValidationIssue, type EnvelopeResult } from './problem.ts';
export { problemFromError } from './to-problem.ts';

export interface EnvelopeOwner {
  id: string;
  envelope: ErrorEnvelope;
  /** 'generate' ignores a client's X-Request-Id (some seeds never trust it); default 'accept' */
  requestIds?: 'accept' | 'generate';
  /**
   * Runs on replies the core sends for this owner's URLs without any of its routes or hooks having run
   * (unknown path, wrong method, a request refused before routing), so headers the app's own hooks would
   * set (CORS) are not missing from exactly those answers.
   */
  onUnrouted?(request: FastifyRequest, reply: FastifyReply): void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** A client's own request id is kept when it is sane, so logs on both sides line up. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/** The envelope for paths no app owns (`/`, `/docs`, `/metrics`, unknown top-level paths). */
export const platformEnvelope: ErrorEnvelope = (problem, requestId) => ({
  status: problem.status,
  body: {
    statusCode: problem.status,
    error: problem.code ?? problem.kind,
    message: problem.kind === 'internal' ? `Internal server error (request ${requestId})` : problem.message,
    ...(problem.validation ? { validation: problem.validation } : {}),
  },
});

export function sendProblem(reply: FastifyReply, envelope: ErrorEnvelope, problem: Problem): FastifyReply {
  const request = reply.request;
  if (problem.status >= 500) {
    request.log.error({ err: problem.cause ?? problem, kind: problem.kind }, 'request failed');
  } else if (problem.cause) {
    request.log.info({ kind: problem.kind, status: problem.status, reason: (problem.cause as Error).message }, 'request rejected');
  }
  let result: EnvelopeResult;
  try {
    result = envelope(problem, String(request.id));
  } catch (err) {
    request.log.error({ err }, 'error envelope threw');
    result = platformEnvelope({ kind: 'internal', status: 500, message: 'Internal server error' }, String(request.id));
  }
  const headers: Record<string, string> = { ...problem.headers, ...result.headers };
  if (problem.allow) headers.allow = problem.allow.join(', ');
  if (problem.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(problem.retryAfter)));
  return reply.code(result.status).headers(headers).send(result.body);
}

/** The error handler an app's scope installs: every error thrown under it becomes the app's envelope. */
export function errorHandlerFor(envelope: ErrorEnvelope) {
  return (error: unknown, _request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, envelope, problemFromError(error));
}

export interface HttpCore {
  readonly owners: PrefixOwners<EnvelopeOwner>;
  /** for Fastify's `genReqId` option: the owning app decides whether a client's id is kept */
  genReqId(request: { url?: string; headers: Record<string, string | string[] | undefined> }): string;
  /** for Fastify's `frameworkErrors` option: requests refused before routing (bad URL encoding) */
  frameworkErrors(error: Error, request: FastifyRequest, reply: FastifyReply): void;
  /**
   * Installs what every request gets, whichever app serves it: request ids, security headers, body-vs-query
   * validation, and error/404/405 handling that answers in the envelope of the app owning the URL.
   * Call before registering any app so the route index sees every route.
   */
  install(fastify: FastifyInstance): void;
  /**
   * HTTP requests being served now, from routing until their response closes (WebSocket upgrades are
   * not counted).
   */
  readonly inFlight: number;
  /**
   * Whether one caller has the server to itself: a single request in flight, and the requests of the
   * last `soleCallerWindowMs` or so came over at most two connections (a lone client may take turns on
   * two: undici's fetch does). The count alone cannot tell: while a request runs, other connections'
   * requests wait unread in their sockets, so under load it is mostly 1 too.
   */
  readonly soleCaller: boolean;
}

export interface HttpCoreOptions {
  /** how far back the connections that sent requests are remembered for `soleCaller`, ms (default 1000) */
  soleCallerWindowMs?: number;
}

/** connections a lone client may take turns on */
const SOLE_CALLER_CONNECTIONS = 2;

/** The connections that sent requests in the current window of time and in the one before it. */
class RecentConnections {
  #windowStart = -Infinity;
  #current = new Set<object>();
  #previous = new Set<object>();

  constructor(readonly windowMs: number) {}

  add(connection: object): void {
    const now = performance.now();
    if (now - this.#windowStart > this.windowMs) {
      this.#previous = now - this.#windowStart > 2 * this.windowMs ? new Set() : this.#current;
      this.#current = new Set();
      this.#windowStart = now;
    }
    // past the lone client's, how many more makes no difference
    if (this.#current.size <= SOLE_CALLER_CONNECTIONS) this.#current.add(connection);
  }

  /** connections seen in a window, the busier of the two: up to one more than a lone client's */
  get count(): number {
    return Math.max(this.#current.size, this.#previous.size);
  }
}

export function createHttpCore(options: HttpCoreOptions = {}): HttpCore {
  const recentConnections = new RecentConnections(options.soleCallerWindowMs ?? 1000);
  const owners = new PrefixOwners<EnvelopeOwner>();
  const methods = new MethodIndex();
  // Only the core's root handlers call this: an app scope's own error handler runs after its hooks.
  const answerUnrouted = (request: FastifyRequest, reply: FastifyReply, problem: Problem) => {
    const owner = owners.ownerOf(request.url);
    owner?.onUnrouted?.(request, reply);
    return sendProblem(reply, owner?.envelope ?? platformEnvelope, problem);
  };
  let inFlight = 0;
  const stamp = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    reply.headers(SECURITY_HEADERS);
  };
  return {
    owners,
    get inFlight() {
      return inFlight;
    },
    get soleCaller() {
      return inFlight === 1 && recentConnections.count <= SOLE_CALLER_CONNECTIONS;
    },
    frameworkErrors(error, request, reply) {
      // Fastify answers these before any hook runs, in a body of its own, unless handed to us.
      stamp(request, reply);
      answerUnrouted(request, reply, problemFromError(error));
    },
    genReqId(request) {
      const owner = owners.ownerOf(request.url ?? '/');
      return owner?.requestIds === 'generate' ? randomUUID() : requestIdFrom(request.headers['x-request-id']);
    },
    install(fastify) {
      fastify.setValidatorCompiler(validatorCompiler);
      fastify.addHook('onRoute', (route) => methods.add(route.method, route.url ?? route.path));
      fastify.addHook('onRequest', (request, reply, done) => {
        stamp(request, reply);
        if (request.headers.upgrade === undefined) {
          inFlight++;
          recentConnections.add(request.raw.socket);
          // 'close' comes after the response is sent and also when the client goes away first
          reply.raw.once('close', () => inFlight--);
        }
        done();
      });
      fastify.setErrorHandler((error, request, reply) => answerUnrouted(request, reply, problemFromError(error)));
      fastify.setNotFoundHandler((request, reply) => {
        const allow = methods.allowedMethods(request.url);
        const problem: Problem = allow.length
          ? { kind: 'method_not_allowed', status: 405, message: 'Method Not Allowed', allow }
          : { kind: 'not_found', status: 404, message: 'Not Found' };
        return answerUnrouted(request, reply, problem);
      });
    },
  };
}
