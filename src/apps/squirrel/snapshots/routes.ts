import { Readable } from 'node:stream';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { JobEngine } from '../../../core/jobs/index.ts';
import { aliasHook } from '../aliases.ts';
import { callerOf } from '../auth.ts';
import { errors } from '../errors.ts';
import type { LiveCache } from '../live/cache.ts';
import { epicsValueFromEntry, epicsValueFromReading } from '../live/values.ts';
import type { SquirrelSettings } from '../settings.ts';
import { compareSides, sideFromValue, type CompareSide } from './compare.ts';
import { csvFilename, csvHeader, csvRow } from './csv.ts';
import { restoreSettingsOf } from './jobs.ts';
import { previewRestore, restoreValues } from './restore.ts';
import {
  compareParams, compareQuery, createBody, createQuery, deleteQuery, exportQuery, getQuery, listQuery, restoreBody, restoreQuery, snapshotParams, updateBody,
} from './schemas.ts';
import type { RestoreRequest, SnapshotService, SnapshotValueView } from './service.ts';

const tags = ['Snapshots'];
const CSV_PAGE = 5000;

/** `comment` is the older dialect's name for `description`; both given and different is ambiguous (spec §3.3). */
function descriptionOf(body: { description?: string | null; comment?: string | null }): string | null | undefined {
  if (body.description !== undefined && body.comment !== undefined && body.description !== body.comment) {
    throw errors.validation('comment', 'must equal description when both are given');
  }
  return body.description !== undefined ? body.description : body.comment;
}

async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

export interface SnapshotRouteDeps {
  snapshots: SnapshotService;
  jobs: JobEngine;
  cache: LiveCache;
  epics: EpicsClient;
  settings: SquirrelSettings;
  /** values of the snapshot chosen by a restore body (spec D34) */
  selectForRestore: SnapshotService['selectForRestore'];
}

export function registerSnapshotRoutes(scope: FastifyInstance, deps: SnapshotRouteDeps): void {
  const { snapshots, jobs, cache, epics, settings } = deps;
  const restoreSettings = restoreSettingsOf(settings);

  /** live values as compare sides keyed like the snapshot's, honouring live_source */
  async function liveSides(values: readonly SnapshotValueView[], source: 'cache' | 'epics'): Promise<CompareSide[]> {
    const addresses = [...new Set(values.flatMap((v) => [v.setpoint_name, v.readback_name]).filter((a): a is string => a !== null))];
    const live = new Map<string, unknown>();
    let missing = addresses;
    if (source === 'cache') {
      try {
        for (const [address, entry] of await cache.get(addresses)) live.set(address, epicsValueFromEntry(entry).value);
        missing = addresses.filter((a) => !live.has(a));
      } catch {
        missing = addresses;
      }
    }
    if (missing.length) {
      const results = await epics.getMany(missing, { connectTimeoutMs: restoreSettings.connectTimeoutMs, timeoutMs: restoreSettings.timeoutMs, concurrency: restoreSettings.chunkSize });
      results.forEach((r, i) => live.set(missing[i]!, r.ok ? epicsValueFromReading(r.reading).value : null));
    }
    return values.map((v) => ({
      ...sideFromValue(v),
      setpoint: v.setpoint_name ? (live.get(v.setpoint_name) ?? null) : null,
      readback: v.readback_name ? (live.get(v.readback_name) ?? null) : null,
    }));
  }

  scope.get('/v1/snapshots', { preValidation: aliasHook('query', { tag_ids: 'tags' }), schema: { tags, querystring: listQuery } }, async (request) => {
    const query = request.query as Static<typeof listQuery>;
    return snapshots.list({ title: query.title || undefined, tagIds: query.tags }, query.limit, query.offset);
  });

  scope.post('/v1/snapshots', { schema: { tags, querystring: createQuery, body: createBody } }, async (request) => {
    const query = request.query as Static<typeof createQuery>;
    const body = request.body as Static<typeof createBody>;
    const snapshotRequest = {
      title: body.title.trim(),
      description: descriptionOf(body) ?? null,
      // spec D28: the calling key's app name unless the body names someone
      created_by: body.created_by ?? callerOf(request)?.appName ?? null,
      ...(body.pv_ids !== undefined ? { pv_ids: body.pv_ids } : {}),
      ...(body.tag_ids !== undefined ? { tag_ids: body.tag_ids } : {}),
      use_cache: body.use_cache ?? query.use_cache,
    };
    await snapshots.validateSubset(snapshotRequest);
    if (!query.async) return (await snapshots.create(snapshotRequest, async () => {})).snapshot;
    const job = await jobs.enqueue('CREATE_SNAPSHOT', snapshotRequest);
    return { job_id: job.id, message: `Snapshot creation queued for '${snapshotRequest.title}' (${snapshotRequest.use_cache ? 'from cache' : 'from EPICS'})` };
  });

  scope.get('/v1/snapshots/:id', { schema: { tags, params: snapshotParams, querystring: getQuery } }, async (request) => {
    const query = request.query as Static<typeof getQuery>;
    return snapshots.get((request.params as Static<typeof snapshotParams>).id, { limit: query.limit, offset: query.offset }, query.include_values);
  });

  scope.put('/v1/snapshots/:id', { schema: { tags, params: snapshotParams, body: updateBody } }, async (request) => {
    const body = request.body as Static<typeof updateBody>;
    return snapshots.update((request.params as Static<typeof snapshotParams>).id, { title: body.title, description: descriptionOf(body) });
  });

  scope.delete('/v1/snapshots/:id', { schema: { tags, params: snapshotParams, querystring: deleteQuery } }, async (request) =>
    snapshots.remove((request.params as Static<typeof snapshotParams>).id),
  );

  scope.post(
    '/v1/snapshots/:id/restore',
    { preValidation: [emptyBodyIsEmptyObject, aliasHook('body', { pvIds: 'pv_ids' })], schema: { tags, params: snapshotParams, querystring: restoreQuery, body: restoreBody } },
    async (request) => {
      const query = request.query as Static<typeof restoreQuery>;
      const body = request.body as Static<typeof restoreBody>;
      const restoreRequest: RestoreRequest = {
        snapshot_id: (request.params as Static<typeof snapshotParams>).id,
        ...(body.pv_ids != null ? { pv_ids: body.pv_ids } : {}),
        ...(body.tag_ids != null ? { tag_ids: body.tag_ids } : {}),
      };
      if (query.dry_run || !query.async) {
        const values = await deps.selectForRestore(restoreRequest);
        if (query.dry_run) return previewRestore(restoreRequest.snapshot_id, values, { source: query.live_source, cache, epics, settings: restoreSettings });
        return restoreValues(values, epics, restoreSettings, {});
      }
      // The job loads the values itself; the reply only needs their count.
      const writes = await snapshots.countRestoreWrites(restoreRequest);
      const job = await jobs.enqueue('RESTORE_SNAPSHOT', restoreRequest);
      return { job_id: job.id, message: `Restore queued for ${writes} PVs` };
    },
  );

  scope.get('/v1/snapshots/:id/compare/:id2', { schema: { tags, params: compareParams, querystring: compareQuery } }, async (request) => {
    const { id, id2 } = request.params as Static<typeof compareParams>;
    const query = request.query as Static<typeof compareQuery>;
    const first = await snapshots.requireSnapshot(id);
    const left = await snapshots.values(first.id);
    const override = { tolerance: query.tolerance, mode: query.tolerance_mode };
    if (id2 === 'live') return compareSides({ snapshot1: first.id, snapshot2: 'live' }, left.map(sideFromValue), await liveSides(left, query.live_source), override);
    const second = await snapshots.requireSnapshot(id2);
    return compareSides({ snapshot1: first.id, snapshot2: second.id }, left.map(sideFromValue), (await snapshots.values(second.id)).map(sideFromValue), override);
  });

  scope.get('/v1/snapshots/:id/export', { schema: { tags, params: snapshotParams, querystring: exportQuery } }, async (request, reply) => {
    const snapshot = await snapshots.summary((request.params as Static<typeof snapshotParams>).id);
    async function* rows() {
      yield csvHeader();
      for (let offset = 0; ; offset += CSV_PAGE) {
        const page = await snapshots.values(snapshot.id, { limit: CSV_PAGE, offset });
        yield page.map(csvRow).join('');
        if (page.length < CSV_PAGE) return;
      }
    }
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${csvFilename(snapshot.title, snapshot.created_at)}"`);
    return reply.send(Readable.from(rows()));
  });
}
