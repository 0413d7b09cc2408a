import type { AppDatabase } from '../../../core/db/index.ts';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../../core/pagination/index.ts';
import { uuidv7 } from '../../../core/secrets/index.ts';
import type { PvTable, SquirrelDb } from '../db/schema.ts';
import { errors, listSome } from '../errors.ts';
import { isoTime, isUuid, unique } from '../format.ts';
import { createTagRepo, tagsOf, type TagWithGroup } from '../tags/repo.ts';
import { normaliseAddress, protocolOf } from './address.ts';
import { createPvRepo, type PvFilter, type PvRepo, type PvRow, type PvWithTagIds } from './repo.ts';

/** A PV on the wire: the stored columns, with the flag as a boolean, times as ISO strings and its tags. */
export type PvView = Pick<
  PvTable,
  'id' | 'setpoint_address' | 'readback_address' | 'config_address' | 'device' | 'description' | 'abs_tolerance' | 'rel_tolerance' | 'created_by' | 'last_modified_by'
> & {
  read_only: boolean;
  protocol: 'ca' | 'pva';
  tags: TagWithGroup[];
  created_at: string;
  updated_at: string;
};

export interface PvInput {
  setpoint_address?: string | null;
  readback_address?: string | null;
  config_address?: string | null;
  device?: string | null;
  description?: string | null;
  abs_tolerance?: number;
  rel_tolerance?: number;
  read_only?: boolean;
  tag_ids?: string[];
}

export interface PvPatch {
  description?: string | null;
  abs_tolerance?: number | null;
  rel_tolerance?: number | null;
  read_only?: boolean | null;
  tag_ids?: string[] | null;
}

export interface PvPage {
  items: PvView[];
  next_cursor: string | null;
  has_more: boolean;
  total_count?: number;
}

const ADDRESS_FIELDS = ['setpoint_address', 'readback_address', 'config_address'] as const;

function searchText(row: Pick<PvRow, 'setpoint_address' | 'readback_address' | 'config_address' | 'device' | 'description'>): string {
  return [row.setpoint_address, row.readback_address, row.config_address, row.device, row.description]
    .filter((v): v is string => v !== null)
    .join('\n')
    .toLowerCase();
}

/** values that occur more than once, in order of their second occurrence */
function repeated(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const again = new Set<string>();
  for (const value of values) (seen.has(value) ? again : seen).add(value);
  return [...again];
}

/** A body item turned into a row, or the 422 naming the offending (indexed) field. */
function rowFromInput(input: PvInput, fieldPrefix: string, createdBy: string | null, at: number): PvRow {
  const addresses: Record<(typeof ADDRESS_FIELDS)[number], string | null> = { setpoint_address: null, readback_address: null, config_address: null };
  for (const field of ADDRESS_FIELDS) {
    const result = normaliseAddress(input[field]);
    if (!result.ok) throw errors.validation(`${fieldPrefix}${field}`, result.message);
    addresses[field] = result.address;
  }
  if (!addresses.setpoint_address && !addresses.readback_address && !addresses.config_address) {
    throw errors.validation(fieldPrefix.replace(/\.$/, ''), 'At least one address (setpoint, readback or config) is required');
  }
  const row = {
    id: uuidv7(),
    ...addresses,
    device: input.device?.trim() || null,
    description: input.description ?? null,
    abs_tolerance: input.abs_tolerance ?? 0,
    rel_tolerance: input.rel_tolerance ?? 0,
    read_only: input.read_only ?? false,
    created_by: createdBy,
    last_modified_by: createdBy,
    created_at: at,
    updated_at: at,
  };
  return { ...row, search_text: searchText(row) };
}

/** a row just written, with the tag ids it was given, as the repo reads PVs */
function asRead(row: Omit<PvRow, 'search_text'>, tagIds: readonly string[]): PvWithTagIds {
  return { ...row, tag_ids: unique(tagIds).join(',') || null };
}

/** `bulkBatchSize`: rows per bulk insert statement on Postgres (SQUIRREL_BULK_INSERT_BATCH_SIZE) */
export function createPvService(database: AppDatabase<SquirrelDb>, options: { onChange: () => void; bulkBatchSize: number }) {
  const { bulkBatchSize } = options;
  const repo = createPvRepo(database.db);
  const tagRepo = createTagRepo(database.db);

  async function views(rows: readonly PvWithTagIds[]): Promise<PvView[]> {
    const tagIds = new Map(rows.map((row) => [row.id, row.tag_ids?.split(',') ?? []]));
    const tags = tagsOf(tagIds, await tagRepo.tagsByIds(unique([...tagIds.values()].flat())));
    return rows.map((row) => ({
      id: row.id,
      setpoint_address: row.setpoint_address,
      readback_address: row.readback_address,
      config_address: row.config_address,
      device: row.device,
      description: row.description,
      abs_tolerance: row.abs_tolerance,
      rel_tolerance: row.rel_tolerance,
      read_only: Boolean(row.read_only),
      protocol: protocolOf([row.setpoint_address, row.readback_address, row.config_address]),
      tags: tags.get(row.id) ?? [],
      created_by: row.created_by,
      last_modified_by: row.last_modified_by,
      created_at: isoTime(row.created_at),
      updated_at: isoTime(row.updated_at),
    }));
  }

  async function requirePv(id: string): Promise<PvWithTagIds> {
    const row = isUuid(id) ? await repo.findById(id) : undefined;
    if (!row) throw errors.pvNotFound([id]);
    return row;
  }

  /** spec D9: unknown tag ids are 404 everywhere */
  async function requireTags(tagIds: readonly string[]): Promise<void> {
    const wanted = unique(tagIds);
    const found = await tagRepo.existingTagIds(wanted.filter(isUuid));
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length) throw errors.tagNotFound(missing);
  }

  async function insertAll(rows: PvRow[], tagIdsPerRow: readonly (readonly string[])[]): Promise<void> {
    const links = rows.flatMap((row, i) => unique(tagIdsPerRow[i] ?? []).map((tag_id) => ({ pv_id: row.id, tag_id })));
    try {
      await database.transaction(async (trx) => {
        const txRepo: PvRepo = createPvRepo(trx);
        await txRepo.insertMany(rows, bulkBatchSize);
        await txRepo.linkTags(links, bulkBatchSize);
      });
    } catch (err) {
      // A concurrent create of the same setpoint: the unique index is the last word.
      if (database.dialect.isUniqueViolation(err)) throw errors.pvAlreadyExists('Setpoint address already exists');
      throw err;
    }
    options.onChange();
  }

  return {
    async get(id: string): Promise<PvView> {
      const [view] = await views([await requirePv(id)]);
      return view!;
    },

    async create(input: PvInput, createdBy: string | null): Promise<PvView> {
      const row = rowFromInput(input, '', createdBy, Date.now());
      if (row.setpoint_address && (await repo.existingSetpoints([row.setpoint_address])).length) {
        throw errors.pvAlreadyExists(`PV with setpoint address ${row.setpoint_address} already exists`);
      }
      await requireTags(input.tag_ids ?? []);
      await insertAll([row], [input.tag_ids ?? []]);
      return (await views([asRead(row, input.tag_ids ?? [])]))[0]!;
    },

    /** spec §3.2 /multi: all or nothing, in input order */
    async createMany(inputs: readonly PvInput[], createdBy: string | null): Promise<PvView[]> {
      const at = Date.now();
      const rows = inputs.map((input, i) => rowFromInput(input, `[${i}].`, createdBy, at));
      const setpoints = rows.map((r) => r.setpoint_address).filter((a): a is string => a !== null);
      const duplicates = repeated(setpoints);
      if (duplicates.length) throw errors.pvAlreadyExists(`Duplicate setpoint addresses in import: [${listSome(duplicates)}]`);
      const existing = await repo.existingSetpoints(setpoints);
      if (existing.length) throw errors.pvAlreadyExists(`Setpoint addresses already exist: [${listSome(existing)}]`);
      await requireTags(inputs.flatMap((i) => i.tag_ids ?? []));
      await insertAll(rows, inputs.map((i) => i.tag_ids ?? []));
      return views(rows.map((row, i) => asRead(row, inputs[i]!.tag_ids ?? [])));
    },

    /** null or absent leaves a field unchanged; tag_ids replaces the whole set */
    async update(id: string, patch: PvPatch, modifiedBy: string | null): Promise<PvView> {
      const row = await requirePv(id);
      if (patch.tag_ids) await requireTags(patch.tag_ids);
      const changes: Partial<PvRow> = { last_modified_by: modifiedBy, updated_at: Date.now() };
      if (patch.description != null) {
        changes.description = patch.description;
        changes.search_text = searchText({ ...row, description: patch.description });
      }
      if (patch.abs_tolerance != null) changes.abs_tolerance = patch.abs_tolerance;
      if (patch.rel_tolerance != null) changes.rel_tolerance = patch.rel_tolerance;
      if (patch.read_only != null) changes.read_only = patch.read_only;
      await database.transaction(async (trx) => {
        const txRepo = createPvRepo(trx);
        await txRepo.update(row.id, changes);
        if (patch.tag_ids) await txRepo.replaceTags(row.id, unique(patch.tag_ids));
      });
      options.onChange();
      const updated = { ...row, ...changes };
      return (await views([patch.tag_ids ? asRead(updated, patch.tag_ids) : updated]))[0]!;
    },

    async remove(id: string): Promise<true> {
      const row = await requirePv(id);
      if (!(await repo.delete(row.id))) throw errors.pvNotFound([id]);
      options.onChange();
      return true;
    },

    async list(filter: PvFilter, limit: number): Promise<PvView[]> {
      return views(await repo.page(filter, undefined, limit));
    },

    /** spec §3.2: keyset paging by id behind an opaque cursor `{"v":1,"after":"<id>"}` */
    async paged(filter: PvFilter, cursor: string | undefined, limit: number, includeTotal: boolean): Promise<PvPage> {
      let after: string | undefined;
      if (cursor !== undefined) {
        try {
          after = decodeCursor(cursor, (p) => (typeof p.after === 'string' && isUuid(p.after) ? p.after.toLowerCase() : undefined));
        } catch (err) {
          if (err instanceof InvalidCursorError) throw errors.invalidCursor(err.message);
          throw err;
        }
      }
      const rows = await repo.page(filter, after, limit + 1);
      const hasMore = rows.length > limit;
      const items = await views(rows.slice(0, limit));
      const last = items.at(-1);
      return {
        items,
        next_cursor: hasMore && last ? encodeCursor({ after: last.id }) : null,
        has_more: hasMore,
        ...(includeTotal ? { total_count: await repo.count(filter) } : {}),
      };
    },

    async search(filter: PvFilter, limit: number, offset: number): Promise<{ results: PvView[]; total_count: number }> {
      const [rows, total] = await Promise.all([repo.search(filter, limit, offset), repo.count(filter)]);
      return { results: await views(rows), total_count: total };
    },

    devices: () => repo.devices(),
    isEmpty: () => repo.isEmpty(),
    monitoredAddresses: () => repo.monitoredAddresses(),
    knownAddresses: (names: readonly string[]) => repo.knownAddresses(names),
  };
}

export type PvService = ReturnType<typeof createPvService>;
