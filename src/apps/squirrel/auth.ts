import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from './errors.ts';
import type { ApiKeyService, Caller } from './apikeys/service.ts';

/**
 * What a route needs from the calling key (spec §2 Permissions). Unset: GET needs read, other methods
 * write. `socket` routes authenticate inside the WebSocket handler (close 1008, spec D22);
 * `heartbeat` is public when SQUIRREL_PUBLIC_HEARTBEAT is set.
 */
export type SquirrelAccess = 'read' | 'write' | 'socket' | 'heartbeat';

declare module 'fastify' {
  interface FastifyContextConfig {
    squirrelAccess?: SquirrelAccess;
  }
  interface FastifyRequest {
    squirrelCaller?: Caller;
  }
}

export function apiKeyFrom(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

export function checkAccess(caller: Caller, needed: 'read' | 'write'): void {
  if (needed === 'read' && !caller.read) throw errors.insufficientRead();
  if (needed === 'write' && !caller.write) throw errors.insufficientWrite();
}

/**
 * Authenticates in onRequest, after routing and before the body is read, so an unauthenticated body is
 * never parsed or validated (spec §2 check order).
 */
export function installAuth(scope: FastifyInstance, keys: ApiKeyService, options: { publicHeartbeat: boolean }): void {
  scope.addHook('onRequest', async (request) => {
    const declared = request.routeOptions.config.squirrelAccess;
    if (declared === 'socket' || (declared === 'heartbeat' && options.publicHeartbeat)) return;
    const needed = declared === 'read' || declared === 'write' ? declared : request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
    const caller = await keys.authenticate(apiKeyFrom(request));
    checkAccess(caller, needed);
    request.squirrelCaller = caller;
  });
}

export function callerOf(request: FastifyRequest): Caller | undefined {
  return request.squirrelCaller;
}
