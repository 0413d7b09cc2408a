import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../../core/events/index.ts';

const REQUEST_TOPIC = 'squirrel.control.request';
const REPLY_TOPIC = 'squirrel.control.reply';

interface ControlRequest {
  id: string;
  /** the lock name: only the leader of the same election answers */
  group: string;
  action: string;
  args: unknown;
}

interface ControlReply {
  id: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type ControlHandlers = Record<string, (args: never) => Promise<unknown> | unknown>;

export class NoLeaderError extends Error {
  override readonly name = 'NoLeaderError';
}

/**
 * Actions that only the monitor leader can perform (forced watchdog checks, circuit force actions,
 * reading its circuits and stats; spec §4.3 Multi-instance). On the leader they run in place; elsewhere
 * they travel over the event bus (Redis pub/sub when configured) and the leader's reply comes back the
 * same way. No reply within the timeout is a NoLeaderError.
 */
export function createLeaderControl(deps: { bus: EventBus; group: string; isLeader: () => boolean; alone: boolean; handlers: ControlHandlers }) {
  const waiting = new Map<string, { resolve: (reply: ControlReply) => void }>();

  async function runLocally(action: string, args: unknown): Promise<unknown> {
    const handler = deps.handlers[action];
    if (!handler) throw new Error(`unknown control action ${action}`);
    return (handler as (args: unknown) => unknown)(args);
  }

  const unsubscribers = [
    deps.bus.subscribe<ControlRequest>(REQUEST_TOPIC, ({ payload }) => {
      if (payload.group !== deps.group || !deps.isLeader()) return;
      runLocally(payload.action, payload.args).then(
        (result) => deps.bus.publish<ControlReply>(REPLY_TOPIC, { id: payload.id, ok: true, result }),
        (err: Error) => deps.bus.publish<ControlReply>(REPLY_TOPIC, { id: payload.id, ok: false, error: err.message }),
      );
    }),
    deps.bus.subscribe<ControlReply>(REPLY_TOPIC, ({ payload }) => waiting.get(payload.id)?.resolve(payload)),
  ];

  return {
    async request(action: string, args: unknown, timeoutMs: number): Promise<unknown> {
      if (deps.alone || deps.isLeader()) return runLocally(action, args);
      const id = randomUUID();
      let timer: NodeJS.Timeout | undefined;
      try {
        const reply = await new Promise<ControlReply>((resolve, reject) => {
          waiting.set(id, { resolve });
          timer = setTimeout(() => reject(new NoLeaderError(`no monitor leader answered within ${timeoutMs / 1000} s`)), timeoutMs);
          deps.bus.publish<ControlRequest>(REQUEST_TOPIC, { id, group: deps.group, action, args });
        });
        if (!reply.ok) throw new Error(reply.error);
        return reply.result;
      } finally {
        clearTimeout(timer);
        waiting.delete(id);
      }
    },
    close(): void {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}

export type LeaderControl = ReturnType<typeof createLeaderControl>;
