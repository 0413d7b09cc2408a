import type { WebSocket, RawData } from 'ws';
import type { AuthFailure, AuthGuard, Principal } from '../auth/guard.ts';
import { hasRole } from '../auth/guard.ts';

/** WebSocket close codes of spec §3.15. */
export const CLOSE = { goingAway: 1001, unsupportedData: 1003, policyViolation: 1008, tryAgainLater: 1013 } as const;

const FAILURE_REASONS: Record<AuthFailure, string> = {
  authentication_required: 'Authentication required',
  invalid_token: 'Invalid or expired token',
  token_revoked: 'Token has been revoked',
  user_not_found: 'User not found',
  invalid_api_token: 'Invalid API token',
  api_token_expired: 'API token expired',
  token_owner_not_found: 'User not found',
};

export interface SocketAuthOptions {
  auth: AuthGuard;
  /** `?token=` from the handshake URL */
  queryToken: string | undefined;
  authTimeoutMs: number;
  operatorOnly: boolean;
}

/** A frame as JSON, or undefined for binary and unparsable frames (closed 1003 by the caller). */
export function parseFrame(data: RawData, isBinary: boolean): unknown {
  if (isBinary) return undefined;
  try {
    return JSON.parse(data.toString()) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Authenticates a socket (spec §3.15, D15): with `?token=` at once; without it Home-Assistant style,
 * `auth_required` → `{"type":"auth","token"}` → `auth_ok`. On failure the socket is closed 1008 with
 * the reason and undefined is returned.
 */
export async function authenticateSocket(socket: WebSocket, options: SocketAuthOptions): Promise<Principal | undefined> {
  const token = options.queryToken ?? (await awaitAuthFrame(socket, options.authTimeoutMs));
  if (token === undefined) {
    if (socket.readyState === socket.OPEN) socket.close(CLOSE.policyViolation, FAILURE_REASONS.authentication_required);
    return undefined;
  }
  const result = await options.auth.verifyToken(token);
  if (!result.ok) {
    socket.close(CLOSE.policyViolation, FAILURE_REASONS[result.failure]);
    return undefined;
  }
  if (options.operatorOnly && !hasRole(result.principal.user, 'operator')) {
    socket.close(CLOSE.policyViolation, 'Operator privileges required');
    return undefined;
  }
  if (options.queryToken === undefined) socket.send(JSON.stringify({ type: 'auth_ok' }));
  return result.principal;
}

function awaitAuthFrame(socket: WebSocket, timeoutMs: number): Promise<string | undefined> {
  socket.send(JSON.stringify({ type: 'auth_required' }));
  return new Promise((resolve) => {
    const finish = (token: string | undefined) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(token);
    };
    const onMessage = (data: RawData, isBinary: boolean) => {
      const frame = parseFrame(data, isBinary) as { type?: unknown; token?: unknown } | undefined;
      finish(frame?.type === 'auth' && typeof frame.token === 'string' && frame.token !== '' ? frame.token : undefined);
    };
    const onClose = () => finish(undefined);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

/** Pings every interval; a socket that has not answered the previous ping is terminated (spec §3.15). */
export function keepAlive(socket: WebSocket, intervalMs: number): void {
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  const timer = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, intervalMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
