import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../core/app.ts';
import { errors } from './errors.ts';

/*
 * CORS as upstream's Starlette CORSMiddleware configures it (spec §2.7): listed origins only, credentials
 * allowed, every method and header, and the headers a browser client needs to read exposed.
 */

const ALLOWED_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';
const EXPOSED_HEADERS = 'X-Request-ID, Content-Disposition, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';
const PREFLIGHT_MAX_AGE_S = '600';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && header(request, 'origin') !== undefined && header(request, 'access-control-request-method') !== undefined;
}

function allowOrigin(reply: FastifyReply, origin: string): void {
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-allow-credentials', 'true');
  reply.header('vary', 'Origin');
}

/**
 * Installs CORS on the webmacs scope. Preflights are answered by an OPTIONS twin of every webmacs route
 * (not a wildcard: `/api/v1/<unknown>` must stay a 404 for every method). Call before any route is added.
 * Upstream's middleware wraps every response, so the core's 404/405 answers for webmacs paths, which no
 * scope hook sees, get the same headers through `onUnrouted`.
 */
export function installCors(scope: FastifyInstance, ctx: Pick<AppContext, 'onUnrouted'>, origins: readonly string[]): void {
  const allowed = new Set(origins);
  const methodsByUrl = new Map<string, Set<string>>();
  const decorate = (request: FastifyRequest, reply: FastifyReply) => {
    const origin = header(request, 'origin');
    if (origin === undefined || !allowed.has(origin) || isPreflight(request)) return;
    allowOrigin(reply, origin);
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  };

  scope.addHook('onRequest', async (request, reply) => decorate(request, reply));
  ctx.onUnrouted(decorate);

  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const own = methods.filter((method) => method !== 'OPTIONS' && method !== 'HEAD');
    if (own.length === 0) return;
    const known = methodsByUrl.get(route.url);
    if (known) {
      for (const method of own) known.add(method);
      return;
    }
    const urlMethods = new Set(own);
    methodsByUrl.set(route.url, urlMethods);
    scope.options(route.url, { schema: { hide: true } }, async (request, reply) => {
      // A bare OPTIONS is not a preflight: upstream's router answers it like any other unrouted method.
      if (!isPreflight(request)) throw errors.methodNotAllowed([...urlMethods].sort());
      const origin = header(request, 'origin') as string;
      if (!allowed.has(origin)) throw errors.corsOriginDisallowed();
      allowOrigin(reply, origin);
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE_S);
      const requestedHeaders = header(request, 'access-control-request-headers');
      if (requestedHeaders) reply.header('access-control-allow-headers', requestedHeaders);
      return reply.type('text/plain; charset=utf-8').send('OK');
    });
  });
}
