import type { Kysely } from 'kysely';
import type { EventBus } from '../../../core/events/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';

export interface IndexedEvent {
  id: number;
  publicId: string;
  name: string;
  unit: string;
  /** mapped by a channel mapping of an enabled plugin instance (spec §4.1 step 2) */
  linked: boolean;
}

/** Bus topic telling every instance that events, mappings, instances or rules changed (spec §4.9). */
export const CONFIG_TOPIC = 'webmacs.config';

/**
 * The in-memory event index of spec §4.1: public id → internal id, name, unit and link flag, so
 * ingestion resolves a batch without a query. Rebuilt lazily after any change, here or on another
 * instance; a load that an invalidation overtook answers its own callers but is not kept.
 */
export class EventIndex {
  private loading: Promise<Map<string, IndexedEvent>> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Kysely<WebmacsDatabase>,
    private readonly bus: EventBus,
  ) {
    this.unsubscribe = bus.subscribe(CONFIG_TOPIC, (message) => {
      if (message.origin !== bus.instanceId) this.loading = undefined;
    });
  }

  get(publicId: string): Promise<IndexedEvent | undefined> {
    return this.events().then((events) => events.get(publicId));
  }

  events(): Promise<Map<string, IndexedEvent>> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** Drops the index here and on every other instance. */
  invalidate(): void {
    this.loading = undefined;
    this.bus.publish(CONFIG_TOPIC, { reason: 'events' });
  }

  close(): void {
    this.unsubscribe();
  }

  private async load(): Promise<Map<string, IndexedEvent>> {
    const [rows, linked] = await Promise.all([
      this.db.selectFrom('events').select(['id', 'public_id', 'name', 'unit']).execute(),
      this.db
        .selectFrom('channel_mappings')
        .innerJoin('plugin_instances', 'plugin_instances.id', 'channel_mappings.plugin_instance_id')
        .where('plugin_instances.enabled', '=', true)
        .where('channel_mappings.event_id', 'is not', null)
        .select('channel_mappings.event_id')
        .distinct()
        .execute(),
    ]);
    const linkedIds = new Set(linked.map((row) => Number(row.event_id)));
    return new Map(
      rows.map((row) => {
        const id = Number(row.id);
        return [row.public_id, { id, publicId: row.public_id, name: row.name, unit: row.unit, linked: linkedIds.has(id) }];
      }),
    );
  }
}
