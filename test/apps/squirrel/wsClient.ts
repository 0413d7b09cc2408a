import { WebSocket } from 'ws';

export interface TestSocket {
  ws: WebSocket;
  /**
   * resolves with the next message that satisfies `match` (messages before it are skipped), or fails
   * after `ms`; by default the next message that is not a heartbeat, which arrive on their own schedule
   */
  next(match?: (message: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** A real `ws` client on a listening squirrel, with its messages queued for `next`. */
export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { headers });
  const queue: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    queue.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match = (message) => message.type !== 'heartbeat', ms = 2000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          while (queue.length) {
            const message = queue.shift()!;
            if (match(message)) {
              waiters.delete(look);
              clearTimeout(timer);
              resolve(message);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no matching message within ${ms} ms`));
        }, ms);
        waiters.add(look);
        look();
      });
    },
  };
}
