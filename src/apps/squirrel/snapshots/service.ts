import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { AppDatabase } from '../../../core/db/index.ts';
import { uuidv7 } from '../../../core/secrets/index.ts';
import type { SquirrelDb } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isoTime, isUuid, nameKey, unique } from '../format.ts';
import type { LiveCache } from '../live/cache.ts';
import type { EpicsValue } from '../live/values.ts';
import { createPvRepo } from '../pvs/repo.ts';
import type { SquirrelSettings } from '../settings.ts';
import { createTagRepo, type TagWithGroup } from '../tags/repo.ts';
import { captureAddresses, captureValues, type CapturedPv, type ProgressReporter } from './capture.ts';
import { createSnapshotRepo, type RestoreRow, type SnapshotRow, type SnapshotValueRow, type SnapshotValueWithPv } from './repo.ts';
import type { RestoreTarget } from './restore.ts';
import { decodeSide, decodeSideValue, encodeSide } from './storedSide.ts';

export interface SnapshotSummary {
  id: string;
  title: string;
  description: string | null;
  comment: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  pv_count: number;
  source: string;
}

export interface SnapshotValueView {
  pv_id: string | null;
  pv_name: string;
  setpoint_name: string | null;
  readback_name: string | null;
  setpoint_value: unknown;
  readback_value: unknown;
  status: number | null;
  severity: number | null;
  timestamp: string | null;
  setpoint: EpicsValue | null;
  readback: EpicsValue | null;
  read_only: boolean;
  abs_tolerance: number;
  rel_tolerance: number;
  tags: SnapshotTag[];
}

/** A tag as a snapshot value shows it, and as it is copied into the value at capture time. */
export interface SnapshotTag {
  id: string;
  name: string;
  group_name: string;
}

/** What a create asks for; it travels in the job payload, so it is plain JSON. */
export interface SnapshotRequest {
  title: string;
  description: string | null;
  created_by: string | null;
  pv_ids?: string[];
  tag_ids?: string[];
  use_cache: boolean;
}

/** What a restore asks for; it travels in the job payload, so it is plain JSON. */
export interface RestoreRequest {
  snapshot_id: string;
  pv_ids?: string[];
  tag_ids?: string[];
}

export interface CreateStats {
  pv_count: number;
  cache_hits: number;
  direct_reads: number;
  null_values: number;
}

export function summaryOf(row: SnapshotRow): SnapshotSummary {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    comment: row.description,
    created_by: row.created_by,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
    pv_count: row.pv_count,
    source: row.source,
  };
}

/** read_only and tolerances come from the current PV, or the stored copies once it is deleted */
function currentPvFields(row: SnapshotValueWithPv): Pick<SnapshotValueView, 'read_only' | 'abs_tolerance' | 'rel_tolerance'> {
  return {
    read_only: Boolean(row.pv_read_only ?? row.read_only),
    abs_tolerance: row.pv_abs_tolerance ?? row.abs_tolerance,
    rel_tolerance: row.pv_rel_tolerance ?? row.rel_tolerance,
  };
}

function snapshotTags(tags: readonly TagWithGroup[] | undefined): SnapshotTag[] {
  return (tags ?? []).map((t) => ({ id: t.id, name: t.name, group_name: t.group_name }));
}

export function createSnapshotService(deps: { database: AppDatabase<SquirrelDb>; cache: LiveCache; epics: EpicsClient; settings: SquirrelSettings }) {
  const { database, cache, epics, settings } = deps;
  const repo = createSnapshotRepo(database.db);
  const pvRepo = createPvRepo(database.db);
  const tagRepo = createTagRepo(database.db);

  async function requireSnapshot(id: string): Promise<SnapshotRow> {
    const row = isUuid(id) ? await repo.findById(id) : undefined;
    if (!row) throw errors.snapshotNotFound(id);
    return row;
  }

  /** spec D12: with neither list every PV, otherwise the union; unknown ids are 404 before any job exists */
  async function validateSubset(request: Pick<SnapshotRequest, 'pv_ids' | 'tag_ids'>): Promise<void> {
    const pvIds = unique(request.pv_ids ?? []);
    if (pvIds.length) {
      const found = new Set((await pvRepo.findByIds(pvIds.filter(isUuid))).map((pv) => pv.id));
      const missing = pvIds.filter((id) => !found.has(id));
      if (missing.length) throw errors.pvNotFound(missing);
    }
    const tagIds = unique(request.tag_ids ?? []);
    if (tagIds.length) {
      const found = await tagRepo.existingTagIds(tagIds.filter(isUuid));
      const missing = tagIds.filter((id) => !found.has(id));
      if (missing.length) throw errors.tagNotFound(missing);
    }
  }

  /** the snapshot a restore names, and its tag list checked: 404s come before any job exists */
  async function requireRestorable(request: RestoreRequest): Promise<SnapshotRow> {
    const snapshot = await requireSnapshot(request.snapshot_id);
    if (request.tag_ids?.length) await validateSubset({ tag_ids: request.tag_ids });
    return snapshot;
  }

  function isEveryPv(request: Pick<SnapshotRequest, 'pv_ids' | 'tag_ids'>): boolean {
    return request.pv_ids === undefined && request.tag_ids === undefined;
  }

  async function resolveSubset(request: Pick<SnapshotRequest, 'pv_ids' | 'tag_ids'>): Promise<CapturedPv[]> {
    if (isEveryPv(request)) return repo.capturedPvs();
    const byId = new Map<string, CapturedPv>();
    if (request.pv_ids?.length) for (const pv of await pvRepo.findByIds(unique(request.pv_ids).filter(isUuid))) byId.set(pv.id, pv);
    if (request.tag_ids?.length) {
      for (const pv of await pvRepo.page({ anyTagIds: unique(request.tag_ids) }, undefined, Number.MAX_SAFE_INTEGER)) byId.set(pv.id, pv);
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** the tags of each row's current PV, or the stored copy once the PV is deleted */
  async function tagsOfRows(rows: readonly Pick<RestoreRow, 'pv_id' | 'tags'>[]): Promise<(row: Pick<RestoreRow, 'pv_id' | 'tags'>) => SnapshotTag[]> {
    const tags = await tagRepo.tagsOfPvs(unique(rows.map((r) => r.pv_id).filter((id): id is string => id !== null)));
    return (row) => (row.pv_id ? snapshotTags(tags.get(row.pv_id)) : row.tags ? (JSON.parse(row.tags) as SnapshotTag[]) : []);
  }

  /** read_only, tolerances and tags come from the current PV, or the stored copies once it is deleted */
  async function values(snapshotId: string, window?: { limit?: number; offset: number }): Promise<SnapshotValueView[]> {
    const rows = await repo.values(snapshotId, window);
    const tagsOf = await tagsOfRows(rows);
    return rows.map((row: SnapshotValueWithPv) => {
      const setpoint = decodeSide(row.setpoint_value);
      const readback = decodeSide(row.readback_value);
      return {
        pv_id: row.pv_id,
        pv_name: row.pv_name,
        setpoint_name: row.setpoint_name,
        readback_name: row.readback_name,
        setpoint_value: setpoint?.value ?? null,
        readback_value: readback?.value ?? null,
        status: row.status,
        severity: row.severity,
        timestamp: row.timestamp,
        setpoint,
        readback,
        ...currentPvFields(row),
        tags: tagsOf(row),
      };
    });
  }

  return {
    validateSubset,
    values,

    /** The whole create of spec §4.4, reporting the progress steps; one transaction for all rows. */
    async create(request: SnapshotRequest, progress: ProgressReporter, signal?: AbortSignal): Promise<{ snapshot: SnapshotSummary; stats: CreateStats }> {
      await progress(5, 'Reading PV addresses');
      const pvs = await resolveSubset(request);
      const tagsByPv = isEveryPv(request) ? await tagRepo.tagsOfAllPvs() : await tagRepo.tagsOfPvs(pvs.map((pv) => pv.id));
      const addresses = captureAddresses(pvs);
      await progress(15, `Loaded ${pvs.length} PVs (${addresses.length} addresses)`, { processed: 0, total: addresses.length });
      const capture = await captureValues(addresses, cache, epics, {
        useCache: request.use_cache,
        connectTimeoutMs: settings.SQUIRREL_EPICS_CA_CONN_TIMEOUT * 1000,
        timeoutMs: settings.SQUIRREL_EPICS_CA_TIMEOUT * 1000,
        chunkSize: settings.SQUIRREL_EPICS_CHUNK_SIZE,
        signal,
        progress,
      });
      await progress(85, 'Processing results...');
      const now = Date.now();
      const snapshot: SnapshotRow = {
        id: uuidv7(),
        title: request.title,
        title_key: nameKey(request.title),
        description: request.description,
        created_by: request.created_by,
        pv_count: pvs.length,
        source: capture.source,
        created_at: now,
        updated_at: now,
      };
      let nullValues = 0;
      const rows: SnapshotValueRow[] = pvs.map((pv) => {
        const setpoint = pv.setpoint_address ? (capture.valueOf(pv.setpoint_address) ?? null) : null;
        const readback = pv.readback_address ? (capture.valueOf(pv.readback_address) ?? null) : null;
        if ((setpoint ?? readback)?.value === null) nullValues += 1;
        return {
          snapshot_id: snapshot.id,
          pv_id: pv.id,
          pv_name: pv.setpoint_address ?? pv.readback_address ?? pv.config_address ?? '',
          setpoint_name: pv.setpoint_address,
          readback_name: pv.readback_address,
          setpoint_value: setpoint ? encodeSide(setpoint) : null,
          readback_value: readback ? encodeSide(readback) : null,
          status: setpoint?.status ?? null,
          severity: setpoint?.severity ?? null,
          timestamp: setpoint?.timestamp ?? null,
          read_only: pv.read_only,
          abs_tolerance: pv.abs_tolerance,
          rel_tolerance: pv.rel_tolerance,
          tags: tagsByPv.has(pv.id) ? JSON.stringify(snapshotTags(tagsByPv.get(pv.id))) : null,
        };
      });
      await progress(90, `Saving ${rows.length} PV values...`);
      signal?.throwIfAborted();
      await database.transaction((trx) => createSnapshotRepo(trx).insert(snapshot, rows, settings.SQUIRREL_BULK_INSERT_BATCH_SIZE));
      await progress(100, `Snapshot created with ${rows.length} PV values`, { processed: addresses.length, total: addresses.length });
      return {
        snapshot: summaryOf(snapshot),
        stats: { pv_count: pvs.length, cache_hits: capture.cacheHits, direct_reads: capture.directReads, null_values: nullValues },
      };
    },

    async summary(id: string): Promise<SnapshotSummary> {
      return summaryOf(await requireSnapshot(id));
    },

    async get(id: string, window: { limit?: number; offset: number }, includeValues: boolean) {
      const row = await requireSnapshot(id);
      if (!includeValues) return summaryOf(row);
      return { ...summaryOf(row), values: await values(row.id, window), limit: window.limit ?? null, offset: window.offset };
    },

    async list(filter: { title?: string; tagIds?: string[] }, limit: number, offset: number): Promise<SnapshotSummary[]> {
      return (await repo.list(filter, limit, offset)).map(summaryOf);
    },

    async update(id: string, patch: { title?: string; description?: string | null }): Promise<SnapshotSummary> {
      const row = await requireSnapshot(id);
      const title = patch.title?.trim();
      await repo.update(row.id, {
        ...(title !== undefined ? { title, title_key: nameKey(title) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        updated_at: Date.now(),
      });
      return summaryOf((await repo.findById(row.id))!);
    },

    async remove(id: string): Promise<true> {
      const row = await requireSnapshot(id);
      await repo.delete(row.id);
      return true;
    },

    requireSnapshot,

    /**
     * The values a restore body selects (spec D34: a given list restricts the selection even when empty;
     * ids absent from the snapshot are ignored), with only what writing needs: the readback is not read
     * and tags are used only to filter by them.
     */
    async selectForRestore(request: RestoreRequest): Promise<RestoreTarget[]> {
      const snapshot = await requireRestorable(request);
      const tagIds = new Set(request.tag_ids ?? []);
      let rows = await repo.restoreRows(snapshot.id, { withTags: tagIds.size > 0 });
      if (request.pv_ids !== undefined || request.tag_ids !== undefined) {
        const pvIds = new Set(request.pv_ids ?? []);
        const tagsOf = tagIds.size ? await tagsOfRows(rows) : () => [];
        rows = rows.filter((row) => (row.pv_id !== null && pvIds.has(row.pv_id)) || tagsOf(row).some((t) => tagIds.has(t.id)));
      }
      return rows.map((row) => ({
        pv_id: row.pv_id,
        pv_name: row.pv_name,
        setpoint_name: row.setpoint_name,
        setpoint_value: decodeSideValue(row.setpoint_value) ?? null,
        read_only: Boolean(row.read_only),
        abs_tolerance: row.abs_tolerance,
        rel_tolerance: row.rel_tolerance,
      }));
    },

    /** How many PVs the restore a body selects would write, counted in SQL without loading the values. */
    async countRestoreWrites(request: RestoreRequest): Promise<number> {
      const snapshot = await requireRestorable(request);
      return repo.countWritable(snapshot.id, { pvIds: request.pv_ids, tagIds: request.tag_ids });
    },
  };
}

export type SnapshotService = ReturnType<typeof createSnapshotService>;
