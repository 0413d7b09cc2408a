import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError } from '../../../core/http/index.ts';
import { wrapSocket } from '../../../core/realtime/index.ts';
import type { ApiKeyService } from '../apikeys/service.ts';
import { apiKeyFrom, checkAccess } from '../auth.ts';
import type { LiveCache } from '../live/cache.ts';
import type { SquirrelSettings } from '../settings.ts';
import { WsClient, WsHub } from './hub.ts';
import type { Dialect } from './messages.ts';
import { WsSession, type SessionLimits } from './session.ts';

const tags = ['WebSocket'];

/** `/ws` is the seed's endpoint (pushes in A by default); the upstream aliases default to T (spec §3.8). */
const ENDPOINTS: readonly [string, Dialect][] = [
  ['/ws', 'A'],
  ['/v1/ws/pvs', 'T'],
  ['/v1/ws/live', 'T'],
];

export interface WsRouteDeps {
  keys: ApiKeyService;
  cache: LiveCache;
  knownAddresses: (names: readonly string[]) => Promise<Set<string>>;
  settings: SquirrelSettings;
  instanceId: string;
}

/** `?api_key=` serves browsers, which cannot set headers on a WebSocket (spec §3.8). */
function tokenOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown>;
  return apiKeyFrom(request) ?? (typeof query.api_key === 'string' ? query.api_key : undefined);
}

/** The WebSocket endpoints and their fan-out hub (spec §3.8, §4.5); the hub is returned for the metrics. */
export function registerWsRoutes(scope: FastifyInstance, deps: WsRouteDeps): WsHub {
  const { keys, settings } = deps;
  const hub = new WsHub(deps.cache, {
    batchIntervalMs: settings.SQUIRREL_WEBSOCKET_BATCH_INTERVAL_MS,
    heartbeatMs: settings.SQUIRREL_WS_HEARTBEAT_INTERVAL * 1000,
    maxBufferedBytes: settings.SQUIRREL_WS_MAX_BUFFERED_BYTES,
    slowConsumerTimeoutMs: settings.SQUIRREL_WS_SLOW_CONSUMER_TIMEOUT_S * 1000,
    instanceId: deps.instanceId,
  });
  const limits: SessionLimits = { maxSubscriptions: settings.SQUIRREL_WS_MAX_SUBSCRIPTIONS, maxMessageBytes: settings.SQUIRREL_WS_MAX_MESSAGE_BYTES };

  const handler = (dialect: Dialect) => (socket: WebSocket, request: FastifyRequest) => {
    // the hub skips flushes past maxBufferedBytes; this hard stop only catches replies piling up behind them
    const channel = wrapSocket(socket, { maxBufferedBytes: settings.SQUIRREL_WS_MAX_BUFFERED_BYTES * 2 });
    const client = new WsClient(channel, socket, dialect);
    const session = new WsSession(client, hub, deps.cache, deps.knownAddresses, limits);
    // spec D22: accept, then close with 1008, so browsers see the reason
    const authenticated = keys.authenticate(tokenOf(request)).then((caller) => {
      checkAccess(caller, 'read');
      hub.add(client);
      return true;
    });
    authenticated.catch((err: unknown) => {
      channel.close(1008, err instanceof AppError ? err.code : 'invalid_api_key');
    });
    // messages are handled one at a time, in order, once the key is known to be good
    let queue: Promise<unknown> = authenticated;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      queue = queue.then(() => (channel.closed ? undefined : session.handle(data, isBinary))).catch(() => undefined);
    });
  };

  // @fastify/websocket hides its routes from OpenAPI; spec §12.10 wants every §3 route listed
  scope.addHook('onRoute', (route) => {
    if (route.websocket && route.schema) route.schema.hide = false;
  });
  for (const [url, dialect] of ENDPOINTS) {
    scope.get(url, { websocket: true, config: { squirrelAccess: 'socket' }, schema: { tags, summary: 'WebSocket (upgrade): live PV updates, spec §3.8' } }, handler(dialect));
  }

  scope.get('/v1/ws/status', { schema: { tags } }, async () => hub.status());

  scope.addHook('preClose', async () => hub.close());
  return hub;
}
