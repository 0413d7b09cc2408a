import type { AppDatabase } from '../../../core/db/index.ts';
import { deleteDatapointsInChunks } from '../datapoints/bulk-delete.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors, valueError } from '../errors.ts';
import type { EventType } from '../events/schemas.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import type { Lab } from '../ingestion/index.ts';
import { isoZ, nowMicros } from '../time.ts';
import { builtinPlugin, type ChannelDirection } from './builtin/index.ts';
import type { InstanceRow, MappingRow, PluginsRepo } from './repo.ts';
import type { MappingCreateBody, PluginCreateBody, PluginUpdateBody } from './schemas.ts';

export function toMappingJson(row: MappingRow) {
  return {
    public_id: row.public_id,
    channel_id: row.channel_id,
    channel_name: row.channel_name,
    direction: row.direction,
    unit: row.unit,
    event_public_id: row.event_public_id,
    created_on: isoZ(row.created_on),
  };
}

export function toInstanceJson(row: InstanceRow, mappings: MappingRow[]) {
  return {
    public_id: row.public_id,
    plugin_id: row.plugin_id,
    instance_name: row.instance_name,
    demo_mode: Boolean(row.demo_mode),
    enabled: Boolean(row.enabled),
    status: row.status,
    config_json: row.config_json,
    error_message: row.error_message,
    created_on: isoZ(row.created_on),
    updated_on: isoZ(row.updated_on),
    user_public_id: row.user_public_id,
    channel_mappings: mappings.map(toMappingJson),
  };
}

const EVENT_TYPE_OF: Record<ChannelDirection, EventType> = { input: 'sensor', output: 'actuator', bidirectional: 'range' };

/** Spec D26: what an instance reports before the controller has read it. */
export function restingStatus(enabled: boolean, demoMode: boolean): string {
  return enabled && demoMode ? 'demo' : 'inactive';
}

/** `config_json` is stored as text of a JSON object; an object is accepted and serialized (D27). */
function configText(value: string | Record<string, unknown> | null | undefined, body: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') return JSON.stringify(value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw valueError(['body', 'config_json'], 'config_json must be a JSON object', body);
  }
  return value;
}

export interface PluginsServiceDeps {
  repo: PluginsRepo;
  database: AppDatabase<WebmacsDatabase>;
  lab: Lab;
  deleteChunkRows: number;
}

/** Plugin instances and their channel mappings (spec §3.13). */
export function pluginsService({ repo, database, lab, deleteChunkRows }: PluginsServiceDeps) {
  async function get(publicId: string): Promise<InstanceRow> {
    const row = isPublicId('plg', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.pluginInstanceNotFound();
    return row;
  }

  async function unique<T>(entity: 'Plugin instance' | 'Channel mapping', work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict(entity);
      throw err;
    }
  }

  async function eventId(publicId: string | null | undefined): Promise<number | null> {
    if (publicId === undefined || publicId === null) return null;
    const id = await repo.eventIdOf(publicId);
    if (id === undefined) throw errors.eventNotFound();
    return id;
  }

  /** The lab caches that depend on mappings and instances (link flags, rules of deleted events). */
  function changed(): void {
    lab.events.invalidate();
    lab.rules.invalidate();
  }

  async function withMappings(rows: InstanceRow[]) {
    const mappings = await repo.mappingsOf(rows.map((row) => row.id));
    return rows.map((row) => toInstanceJson(row, mappings.filter((m) => m.plugin_instance_id === row.id)));
  }

  return {
    async get(publicId: string) {
      const [json] = await withMappings([await get(publicId)]);
      return json!;
    },

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: await withMappings(rows) };
    },

    /**
     * A built-in class gets one mapping per channel and, with `auto_create_events`, an event per
     * channel named `<instance> – <channel>` (an existing one with that name is reused).
     */
    async create(userId: number, body: PluginCreateBody): Promise<string> {
      const plugin = builtinPlugin(body.plugin_id);
      const demoMode = plugin?.alwaysDemo || (body.demo_mode ?? false);
      const enabled = body.enabled ?? true;
      const config = configText(body.config_json, body) ?? null;
      const publicId = newPublicId('plg');
      const now = nowMicros();
      await unique('Plugin instance', () =>
        database.transaction(async (trx) => {
          const instanceId = await repo.insert(trx, {
            public_id: publicId,
            plugin_id: body.plugin_id,
            instance_name: body.instance_name,
            demo_mode: demoMode,
            enabled,
            status: restingStatus(enabled, demoMode),
            config_json: config,
            error_message: null,
            created_on: now,
            updated_on: now,
            user_id: userId,
          });
          for (const channel of plugin?.channels ?? []) {
            const linked =
              (body.auto_create_events ?? true)
                ? await repo.eventNamed(trx, {
                    public_id: newPublicId('evt'),
                    name: `${body.instance_name} – ${channel.name}`.slice(0, 255),
                    min_value: channel.minValue,
                    max_value: channel.maxValue,
                    unit: channel.unit,
                    type: EVENT_TYPE_OF[channel.direction],
                    user_id: userId,
                    created_on: now,
                  })
                : null;
            await repo.insertMapping(trx, {
              public_id: newPublicId('chm'),
              plugin_instance_id: instanceId,
              channel_id: channel.id,
              channel_name: channel.name,
              direction: channel.direction,
              unit: channel.unit,
              event_id: linked,
              created_on: now,
            });
          }
        }),
      );
      changed();
      return publicId;
    },

    async update(publicId: string, body: PluginUpdateBody): Promise<void> {
      const row = await get(publicId);
      const demoMode = builtinPlugin(row.plugin_id)?.alwaysDemo || (body.demo_mode ?? Boolean(row.demo_mode));
      const enabled = body.enabled ?? Boolean(row.enabled);
      await unique('Plugin instance', () =>
        repo.update(row.id, {
          instance_name: body.instance_name,
          demo_mode: demoMode,
          enabled,
          config_json: configText(body.config_json, body),
          status: enabled === Boolean(row.enabled) && demoMode === Boolean(row.demo_mode) ? undefined : restingStatus(enabled, demoMode),
          error_message: enabled ? undefined : null,
          updated_on: nowMicros(),
        }),
      );
      changed();
    },

    async delete(publicId: string): Promise<void> {
      const row = await get(publicId);
      const events = await repo.exclusiveEvents(row.id);
      for (const event of events) await deleteDatapointsInChunks(database.db, { column: 'event_id', id: event }, deleteChunkRows);
      await database.transaction((trx) => repo.deleteInstance(trx, row.id, events));
      lab.series.invalidate(events);
      changed();
    },

    async mappings(publicId: string) {
      const row = await get(publicId);
      return (await repo.mappingsOf([row.id])).map(toMappingJson);
    },

    async createMapping(publicId: string, body: MappingCreateBody): Promise<string> {
      const row = await get(publicId);
      const event = await eventId(body.event_public_id);
      const mappingId = newPublicId('chm');
      await unique('Channel mapping', () =>
        repo.insertMapping(database.db, {
          public_id: mappingId,
          plugin_instance_id: row.id,
          channel_id: body.channel_id,
          channel_name: body.channel_name,
          direction: body.direction,
          unit: body.unit,
          event_id: event,
          created_on: nowMicros(),
        }),
      );
      changed();
      return mappingId;
    },

    async linkMapping(publicId: string, mappingId: string, eventPublicId: string | null): Promise<void> {
      const mapping = await this.mapping(publicId, mappingId);
      await repo.linkMapping(mapping.id, await eventId(eventPublicId));
      changed();
    },

    async deleteMapping(publicId: string, mappingId: string): Promise<void> {
      const mapping = await this.mapping(publicId, mappingId);
      await repo.deleteMapping(mapping.id);
      changed();
    },

    async mapping(publicId: string, mappingId: string): Promise<MappingRow> {
      const row = await get(publicId);
      const mapping = isPublicId('chm', mappingId) ? await repo.findMapping(row.id, mappingId) : undefined;
      if (!mapping) throw errors.notFound('Channel mapping', mappingId);
      return mapping;
    },
  };
}

export type PluginsService = ReturnType<typeof pluginsService>;
