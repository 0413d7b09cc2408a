import type { LiveCache } from '../live/cache.ts';
import { listSome } from '../errors.ts';
import type { WsClient, WsHub } from './hub.ts';
import { entriesIn, errorMessage, pongMessage, subscriptionsMessage, type Dialect } from './messages.ts';

export interface SessionLimits {
  maxSubscriptions: number;
  maxMessageBytes: number;
}

/** Names per subscribe message (spec §3.8). */
const MAX_NAMES_PER_MESSAGE = 50_000;

interface ClientMessage {
  dialect: Dialect;
  verb: string;
  names: unknown;
}

/** `action` wins over `type`: a message carrying both is answered in the documented dialect. */
function parse(text: string): ClientMessage | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const names = record.pv_names ?? record.pvNames;
  if (typeof record.action === 'string') return { dialect: 'A', verb: record.action, names };
  if (typeof record.type === 'string') return { dialect: 'T', verb: record.type, names };
  return { dialect: 'A', verb: String(record.action ?? record.type ?? ''), names };
}

function validNames(names: unknown): names is string[] {
  return (
    Array.isArray(names) &&
    names.length <= MAX_NAMES_PER_MESSAGE &&
    names.every((name) => typeof name === 'string' && name.length >= 1 && name.length <= 255)
  );
}

/**
 * One WebSocket conversation (spec §3.8): both dialects in one handler, each reply in the dialect of the
 * message it answers, pushes in the dialect of the last valid message. Bad input gets an `error` message
 * and the connection stays usable; an oversized message closes it with 1009.
 */
export class WsSession {
  constructor(
    private readonly client: WsClient,
    private readonly hub: WsHub,
    private readonly cache: LiveCache,
    private readonly knownAddresses: (names: readonly string[]) => Promise<Set<string>>,
    private readonly limits: SessionLimits,
  ) {}

  async handle(data: Buffer, isBinary: boolean): Promise<void> {
    const { channel } = this.client;
    if (data.byteLength > this.limits.maxMessageBytes) {
      channel.close(1009, 'message too big');
      return;
    }
    if (isBinary) {
      channel.send(errorMessage('Binary frames are not supported'));
      return;
    }
    const message = parse(data.toString('utf8'));
    if (!message) {
      channel.send(errorMessage('Invalid JSON'));
      return;
    }
    const reply = await this.#dispatch(message);
    if (reply !== undefined) for (const part of reply) channel.send(part);
  }

  async #dispatch({ dialect, verb, names }: ClientMessage): Promise<object[] | undefined> {
    switch (verb) {
      case 'subscribe':
        return this.#subscribe(dialect, names);
      case 'unsubscribe':
        if (!validNames(names)) return [errorMessage('pv_names must be a list of 1–255 character names')];
        this.client.dialect = dialect;
        this.hub.unsubscribe(this.client, names);
        return [];
      case 'list_subscriptions':
        this.client.dialect = dialect;
        return [subscriptionsMessage(dialect, [...this.client.subscriptions].sort())];
      case 'get_all':
        this.client.dialect = dialect;
        try {
          const all = await this.cache.getAll();
          return [{ type: 'all_values', values: entriesIn(dialect, all), count: all.size }];
        } catch (err) {
          return [errorMessage(`Could not read live values: ${(err as Error).message}`)];
        }
      case 'ping':
        this.client.dialect = dialect;
        return [pongMessage(dialect)];
      default:
        // upstream's code dialect ignores what it does not know
        return dialect === 'A' ? [errorMessage(`Unknown action: ${verb}`)] : [];
    }
  }

  async #subscribe(dialect: Dialect, names: unknown): Promise<object[]> {
    if (!validNames(names)) return [errorMessage('pv_names must be a list of at most 50,000 names of 1–255 characters')];
    const wanted = [...new Set(names)];
    const fresh = wanted.filter((name) => !this.client.subscriptions.has(name));
    if (this.client.subscriptions.size + fresh.length > this.limits.maxSubscriptions) {
      return [errorMessage(`Subscription limit reached: at most ${this.limits.maxSubscriptions} PVs per connection`)];
    }
    this.client.dialect = dialect;
    this.hub.subscribe(this.client, wanted);
    let cached;
    try {
      cached = await this.cache.get(wanted);
    } catch (err) {
      return [errorMessage(`Could not read live values: ${(err as Error).message}`)];
    }
    if (dialect === 'T') return cached.size ? [{ type: 'initial', data: entriesIn('T', cached), count: cached.size }] : [];
    const replies: object[] = [{ type: 'subscribed', pv_names: wanted, initial_values: entriesIn('A', cached) }];
    const known = await this.knownAddresses(wanted.filter((name) => !cached.has(name)));
    const unknown = wanted.filter((name) => !cached.has(name) && !known.has(name));
    if (unknown.length) replies.push(errorMessage(`PV not found: ${listSome(unknown)}`));
    return replies;
  }
}
