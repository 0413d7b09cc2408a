import type { Kysely, Transaction } from 'kysely';
import type { ChannelMappingsTable, PluginInstancesTable, WebmacsDatabase } from '../db/schema.ts';

type Db = Kysely<WebmacsDatabase> | Transaction<WebmacsDatabase>;

export interface InstanceRow {
  id: number;
  public_id: string;
  plugin_id: string;
  instance_name: string;
  demo_mode: boolean | number;
  enabled: boolean | number;
  status: string;
  config_json: string | null;
  error_message: string | null;
  created_on: number;
  updated_on: number;
  user_public_id: string;
}

export interface MappingRow {
  id: number;
  public_id: string;
  plugin_instance_id: number;
  channel_id: string;
  channel_name: string;
  direction: ChannelMappingsTable['direction'];
  unit: string;
  event_id: number | null;
  event_public_id: string | null;
  created_on: number;
}

interface EventRef {
  id: number;
  publicId: string;
}

/** The events valve cycling works with (spec §4.5). */
export interface ValveCycleEvents {
  rule: EventRef;
  button: EventRef;
  opened: EventRef;
  closed: EventRef;
}

const VALVE_CYCLE_TYPES = ['cmd_button', 'cmd_opened', 'cmd_closed'] as const;

export type InstanceChanges = Partial<Pick<PluginInstancesTable, 'instance_name' | 'demo_mode' | 'enabled' | 'config_json' | 'status' | 'error_message' | 'updated_on'>>;

export function pluginsRepo(db: Kysely<WebmacsDatabase>) {
  const instances = (trx: Db = db) =>
    trx
      .selectFrom('plugin_instances')
      .innerJoin('users', 'users.id', 'plugin_instances.user_id')
      .selectAll('plugin_instances')
      .select('users.public_id as user_public_id');
  const mappings = (trx: Db = db) =>
    trx
      .selectFrom('channel_mappings')
      .leftJoin('events', 'events.id', 'channel_mappings.event_id')
      .selectAll('channel_mappings')
      .select('events.public_id as event_public_id');
  const instanceOf = (row: InstanceRow): InstanceRow => ({ ...row, id: Number(row.id) });
  const mappingOf = (row: MappingRow): MappingRow => ({
    ...row,
    id: Number(row.id),
    plugin_instance_id: Number(row.plugin_instance_id),
    event_id: row.event_id === null ? null : Number(row.event_id),
  });
  return {
    async findByPublicId(publicId: string): Promise<InstanceRow | undefined> {
      const row = (await instances().where('plugin_instances.public_id', '=', publicId).executeTakeFirst()) as InstanceRow | undefined;
      return row && instanceOf(row);
    },
    async page(limit: number, offset: number): Promise<{ total: number; rows: InstanceRow[] }> {
      const [count, rows] = await Promise.all([
        db.selectFrom('plugin_instances').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        instances().orderBy('plugin_instances.id').limit(limit).offset(offset).execute(),
      ]);
      return { total: Number(count.n), rows: (rows as InstanceRow[]).map(instanceOf) };
    },
    async ofPlugins(pluginIds: readonly string[]): Promise<InstanceRow[]> {
      const rows = await instances().where('plugin_instances.plugin_id', 'in', [...pluginIds]).orderBy('plugin_instances.id').execute();
      return (rows as InstanceRow[]).map(instanceOf);
    },
    async count(): Promise<number> {
      const row = await db.selectFrom('plugin_instances').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async insert(trx: Db, row: Omit<PluginInstancesTable, 'id'>): Promise<number> {
      const inserted = await trx.insertInto('plugin_instances').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(inserted.id);
    },
    async update(id: number, changes: InstanceChanges): Promise<void> {
      await db.updateTable('plugin_instances').set(changes).where('id', '=', id).execute();
    },

    async mappingsOf(instanceIds: number[]): Promise<MappingRow[]> {
      if (instanceIds.length === 0) return [];
      const rows = await mappings().where('channel_mappings.plugin_instance_id', 'in', instanceIds).orderBy('channel_mappings.id').execute();
      return (rows as MappingRow[]).map(mappingOf);
    },
    async findMapping(instanceId: number, publicId: string): Promise<MappingRow | undefined> {
      const row = (await mappings()
        .where('channel_mappings.plugin_instance_id', '=', instanceId)
        .where('channel_mappings.public_id', '=', publicId)
        .executeTakeFirst()) as MappingRow | undefined;
      return row && mappingOf(row);
    },
    async insertMapping(trx: Db, row: Omit<ChannelMappingsTable, 'id'>): Promise<void> {
      await trx.insertInto('channel_mappings').values(row).execute();
    },
    async linkMapping(id: number, eventId: number | null): Promise<void> {
      await db.updateTable('channel_mappings').set({ event_id: eventId }).where('id', '=', id).execute();
    },
    async deleteMapping(id: number): Promise<void> {
      await db.deleteFrom('channel_mappings').where('id', '=', id).execute();
    },

    /** Events mapped by this instance and by no other one: they go with it (spec D24). */
    async exclusiveEvents(instanceId: number): Promise<number[]> {
      const rows = await db
        .selectFrom('channel_mappings as mine')
        .select('mine.event_id')
        .where('mine.plugin_instance_id', '=', instanceId)
        .where('mine.event_id', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('channel_mappings as other')
                .select('other.id')
                .whereRef('other.event_id', '=', 'mine.event_id')
                .where('other.plugin_instance_id', '!=', instanceId),
            ),
          ),
        )
        .distinct()
        .execute();
      return rows.map((row) => Number(row.event_id));
    },
    async deleteInstance(trx: Db, id: number, eventIds: number[]): Promise<void> {
      if (eventIds.length) {
        await trx.deleteFrom('datapoints').where('event_id', 'in', eventIds).execute();
        await trx.deleteFrom('events').where('id', 'in', eventIds).execute();
      }
      await trx.deleteFrom('plugin_instances').where('id', '=', id).execute();
    },

    /** An existing event with this exact name, else a new one; returns its id (spec §3.13). */
    async eventNamed(trx: Db, event: { public_id: string; name: string; min_value: number; max_value: number; unit: string; type: string; user_id: number; created_on: number }): Promise<number> {
      const existing = await trx.selectFrom('events').select('id').where('name', '=', event.name).executeTakeFirst();
      if (existing) return Number(existing.id);
      const inserted = await trx.insertInto('events').values(event).returning('id').executeTakeFirstOrThrow();
      return Number(inserted.id);
    },
    async eventIdOf(publicId: string): Promise<number | undefined> {
      const row = await db.selectFrom('events').select('id').where('public_id', '=', publicId).executeTakeFirst();
      return row ? Number(row.id) : undefined;
    },
    /** The newest datapoint of each event, for actuator writes. */
    async latestOf(eventIds: number[]): Promise<Map<number, { id: number; value: number }>> {
      const latest = new Map<number, { id: number; value: number }>();
      for (const eventId of eventIds) {
        const row = await db.selectFrom('datapoints').select(['id', 'value']).where('event_id', '=', eventId).orderBy('ts', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
        if (row) latest.set(eventId, { id: Number(row.id), value: row.value });
      }
      return latest;
    },
    async firstAdminId(): Promise<number | undefined> {
      const row = await db.selectFrom('users').select('id').where('role', '=', 'admin').orderBy('id').limit(1).executeTakeFirst();
      return row ? Number(row.id) : undefined;
    },
    /**
     * The rule event and the newest event of each command type (upstream's controller keeps the last
     * one of its creation-ordered list); undefined while any of them is missing.
     */
    async valveCycleEvents(ruleEventPublicId: string): Promise<ValveCycleEvents | undefined> {
      const rows = await db
        .selectFrom('events')
        .select(['id', 'public_id', 'type'])
        .where((eb) => eb.or([eb('public_id', '=', ruleEventPublicId), eb('type', 'in', VALVE_CYCLE_TYPES)]))
        .orderBy('id')
        .execute();
      const ref = (row: (typeof rows)[number] | undefined): EventRef | undefined => row && { id: Number(row.id), publicId: row.public_id };
      const newestOf = (type: string) => ref(rows.filter((row) => row.type === type).at(-1));
      const [rule, button, opened, closed] = [ref(rows.find((row) => row.public_id === ruleEventPublicId)), ...VALVE_CYCLE_TYPES.map(newestOf)];
      return rule && button && opened && closed ? { rule, button, opened, closed } : undefined;
    },
    async eventCount(): Promise<number> {
      const row = await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type PluginsRepo = ReturnType<typeof pluginsRepo>;
