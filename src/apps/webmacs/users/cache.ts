import type { EventBus } from '../../../core/events/index.ts';
import { CONFIG_TOPIC } from '../ingestion/event-index.ts';
import type { UserRow, UsersRepo } from './repo.ts';

/*
 * Spec §2.4: the user row and role are re-read for every request, from an in-process cache dropped on
 * every user change — here at once, on the other instances through `webmacs.config` (§4.9). The TTL
 * bounds what a change made without the bus (a CLI run without Redis, a manual edit) can leave stale.
 */

const REASON = 'users';
const DEFAULT_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface CachedUsersRepo extends UsersRepo {
  /** after a change committed in the caller's transaction: drops cached users here and everywhere */
  changed(): void;
  close(): void;
}

/** Wraps the users repo: lookups by id and public id outside a transaction are cached; writes outside one invalidate. */
export function cachedUsersRepo(repo: UsersRepo, bus: EventBus, ttlMs = DEFAULT_TTL_MS): CachedUsersRepo {
  const entries = new Map<string, { user: UserRow; expiresAt: number }>();
  // Bumped by every invalidation, so a lookup that read the row before a change does not keep it.
  let generation = 0;

  const drop = () => {
    entries.clear();
    generation += 1;
  };
  const unsubscribe = bus.subscribe<{ reason?: string }>(CONFIG_TOPIC, (message) => {
    if (message.origin !== bus.instanceId && message.payload.reason === REASON) drop();
  });
  const changed = () => {
    drop();
    bus.publish(CONFIG_TOPIC, { reason: REASON });
  };

  async function cached(key: string, load: () => Promise<UserRow | undefined>): Promise<UserRow | undefined> {
    const hit = entries.get(key);
    if (hit && hit.expiresAt > Date.now()) return { ...hit.user };
    const startedIn = generation;
    const user = await load();
    // Misses are not kept: a user created a moment ago must be found at once.
    if (user && startedIn === generation) {
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, { user: { ...user }, expiresAt: Date.now() + ttlMs });
    }
    return user;
  }

  return {
    ...repo,
    findById: (id, trx) => (trx ? repo.findById(id, trx) : cached(`id:${id}`, () => repo.findById(id))),
    findByPublicId: (publicId, trx) => (trx ? repo.findByPublicId(publicId, trx) : cached(`public:${publicId}`, () => repo.findByPublicId(publicId))),
    async update(id, changes, trx) {
      await repo.update(id, changes, trx);
      if (!trx) changed();
    },
    changed,
    close: unsubscribe,
  };
}
