import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { nowMicros } from '../time.ts';
import { authenticateSocket, CLOSE, keepAlive, parseFrame } from './connection.ts';
import { readTelemetryFrame } from './telemetry.ts';

type Frame = [RawData, boolean];
/** what a frame's handler answers with: a message for the same socket, or nothing */
type Reply = string | undefined;

/** frames of one socket being handled at once before the socket stops reading */
const MAX_FRAMES_IN_FLIGHT = 4;

/** `/ws/datapoints/stream` and `/ws/controller/telemetry` (spec §3.15). */
export function registerWebSocketRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { settings, auth } = wm;
  const sockets = new Set<WebSocket>();
  const futureToleranceMicros = settings.WEBMACS_FUTURE_TOLERANCE_S * 1_000_000;

  /**
   * Common to both endpoints: the connection cap, heartbeats and authentication. Frames that arrive
   * while a `?token=` is being checked are held and handed over afterwards, so none is lost.
   */
  async function open(socket: WebSocket, request: FastifyRequest, operatorOnly: boolean): Promise<Frame[] | undefined> {
    if (sockets.size >= settings.WEBMACS_WS_MAX_CONNECTIONS) {
      socket.close(CLOSE.tryAgainLater, 'Too many connections');
      return undefined;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    keepAlive(socket, settings.WEBMACS_WS_HEARTBEAT_INTERVAL * 1000);
    const queryToken = (request.query as { token?: unknown }).token;
    const early: Frame[] = [];
    const hold = (data: RawData, isBinary: boolean) => early.push([data, isBinary]);
    if (typeof queryToken === 'string') socket.on('message', hold);
    const principal = await authenticateSocket(socket, {
      auth,
      queryToken: typeof queryToken === 'string' ? queryToken : undefined,
      authTimeoutMs: settings.WEBMACS_WS_AUTH_TIMEOUT_S * 1000,
      operatorOnly,
    });
    socket.off('message', hold);
    return principal ? early : undefined;
  }

  /**
   * Frames of one socket are handled concurrently (a controller's batches queue for the database, not
   * behind each other's round trip), up to a few at a time with reading paused beyond that; replies go
   * out in frame order, so acks follow the frames they answer.
   */
  function onFrames(socket: WebSocket, early: Frame[], handle: (frame: unknown) => Reply | Promise<Reply>): void {
    let replies = Promise.resolve();
    let inFlight = 0;
    const receive = (data: RawData, isBinary: boolean) => {
      const frame = parseFrame(data, isBinary);
      if (frame === undefined) {
        socket.close(CLOSE.unsupportedData, 'Invalid JSON');
        return;
      }
      inFlight += 1;
      if (inFlight >= MAX_FRAMES_IN_FLIGHT) socket.pause();
      const reply = Promise.resolve()
        .then(() => handle(frame))
        .finally(() => {
          inFlight -= 1;
          if (socket.isPaused && inFlight < MAX_FRAMES_IN_FLIGHT) socket.resume();
        });
      replies = replies
        .then(() => reply)
        .then((message) => {
          if (message !== undefined && socket.readyState === socket.OPEN) socket.send(message);
        })
        .catch((err: unknown) => wm.app.logger.error({ err }, 'websocket frame failed'));
    };
    for (const [data, isBinary] of early) receive(data, isBinary);
    socket.on('message', receive);
  }

  scope.get('/ws/datapoints/stream', { websocket: true }, async (socket, request) => {
    const early = await open(socket, request, false);
    if (!early) return;
    const client = lab.stream.add(socket, request.raw.socket);
    socket.send(JSON.stringify({ type: 'connected', message: 'Subscribed to live datapoint stream.' }));
    onFrames(socket, early, (frame) => {
      const { type, event_public_ids: ids } = frame as { type?: unknown; event_public_ids?: unknown };
      if (type === 'ping') return JSON.stringify({ type: 'pong' });
      if (type !== 'subscribe') return undefined;
      const wanted = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
      lab.stream.subscribe(client, wanted);
      return JSON.stringify({ type: 'subscribed', event_public_ids: [...new Set(wanted)] });
    });
  });

  scope.get('/ws/controller/telemetry', { websocket: true }, async (socket, request) => {
    const early = await open(socket, request, true);
    if (!early) return;
    onFrames(socket, early, async (frame) => {
      const read = readTelemetryFrame(frame, nowMicros(), futureToleranceMicros);
      if (read.kind === 'ignore') return undefined;
      const echo = read.id === undefined ? {} : { id: read.id };
      if (read.kind === 'error') return JSON.stringify({ type: 'error', message: read.message, ...echo });
      const result = await lab.pipeline.ingest(read.items, 'ws');
      // acks are opt-in (spec §3.15), so a controller that never reads is never flooded
      if (read.id === undefined) return undefined;
      return JSON.stringify({ type: 'ack', id: read.id, accepted: result.accepted.length, rejected: result.rejected + read.dropped });
    });
  });
}
