import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { aliasHook, splitList } from '../aliases.ts';
import { callerOf } from '../auth.ts';
import { errors } from '../errors.ts';
import type { LiveCache } from '../live/cache.ts';
import type { CacheEntry } from '../live/entry.ts';
import type { PvService } from './service.ts';
import { IMMUTABLE_FIELDS, listQuery, pagedQuery, pvInput, pvInputs, pvParams, pvPatch, searchQuery } from './schemas.ts';

const tags = ['PVs'];
const tagAlias = { tags: 'tag_ids' };

/** `{"g1":["a","b"],"g2":["c"]}`: OR within a group, AND across groups; `{}` is no filter (spec §3.2). */
function parseTagFilters(raw: string | undefined): string[][] | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw errors.invalidTagFilters('not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw errors.invalidTagFilters('must be a JSON object');
  const groups = Object.values(parsed);
  if (!groups.every((ids) => Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) {
    throw errors.invalidTagFilters('every value must be an array of tag id strings');
  }
  return (groups as string[][]).filter((ids) => ids.length > 0);
}

/** `{"pvs":[…]}` and a bare array are both accepted, and each item may say `tags` for `tag_ids`. */
async function normaliseBulkBody(request: FastifyRequest): Promise<void> {
  const body = request.body as unknown;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Array.isArray((body as { pvs?: unknown }).pvs)) {
    request.body = (body as { pvs: unknown[] }).pvs;
  }
  if (Array.isArray(request.body)) {
    for (const item of request.body as unknown[]) {
      if (typeof item === 'object' && item !== null && 'tags' in item && !('tag_ids' in item)) {
        const record = item as Record<string, unknown>;
        record.tag_ids = record.tags;
        delete record.tags;
      }
    }
  }
}

async function liveValuesFor(cache: LiveCache, addresses: string[]): Promise<{ live_values: Record<string, CacheEntry> | null; live_values_error: string | null }> {
  try {
    return { live_values: Object.fromEntries(await cache.get(addresses)), live_values_error: null };
  } catch (err) {
    return { live_values: null, live_values_error: `Live values unavailable: ${(err as Error).message}` };
  }
}

export function registerPvRoutes(scope: FastifyInstance, service: PvService, cache: LiveCache): void {
  scope.get('/v1/pvs', { preValidation: aliasHook('query', { pvName: 'query' }), schema: { tags, querystring: listQuery } }, async (request) => {
    const query = request.query as Static<typeof listQuery>;
    return service.list({ term: query.query || undefined, anyTagIds: splitList(query.tag_ids) }, query.limit);
  });

  scope.get(
    '/v1/pvs/paged',
    { preValidation: aliasHook('query', { pvName: 'query', continuationToken: 'cursor', pageSize: 'limit' }), schema: { tags, querystring: pagedQuery } },
    async (request) => {
      const query = request.query as Static<typeof pagedQuery>;
      const filter = { term: query.query || undefined, anyTagIds: splitList(query.tag_ids), tagGroups: parseTagFilters(query.tagFilters) };
      return service.paged(filter, query.cursor, query.limit, query.include_total);
    },
  );

  scope.get('/v1/pvs/search', { schema: { tags, querystring: searchQuery } }, async (request) => {
    const query = request.query as Static<typeof searchQuery>;
    const filter = { term: query.q || undefined, devices: query.devices, anyTagIds: splitList(query.tags) };
    const { results, total_count } = await service.search(filter, query.limit, query.offset);
    const live = query.include_live_values
      ? await liveValuesFor(cache, results.flatMap((pv) => [pv.setpoint_address, pv.readback_address]).filter((a): a is string => a !== null))
      : { live_values: null, live_values_error: null };
    return { results, total_count, limit: query.limit, offset: query.offset, ...live };
  });

  scope.get('/v1/pvs/devices', { schema: { tags } }, async () => service.devices());

  scope.get('/v1/pvs/:id', { schema: { tags, params: pvParams } }, async (request) => service.get((request.params as Static<typeof pvParams>).id));

  scope.post('/v1/pvs', { preValidation: aliasHook('body', tagAlias), schema: { tags, body: pvInput } }, async (request) =>
    service.create(request.body as Static<typeof pvInput>, callerOf(request)?.appName ?? null),
  );

  scope.post('/v1/pvs/multi', { preValidation: normaliseBulkBody, schema: { tags, body: pvInputs } }, async (request) =>
    service.createMany(request.body as Static<typeof pvInputs>, callerOf(request)?.appName ?? null),
  );

  scope.put(
    '/v1/pvs/:id',
    { preValidation: aliasHook('body', tagAlias), schema: { tags, params: pvParams, body: pvPatch } },
    async (request) => {
      const body = request.body as Static<typeof pvPatch> & Record<string, unknown>;
      // spec D30: addresses and device are the PV's identity
      const immutable = IMMUTABLE_FIELDS.find((field) => body[field] !== undefined);
      if (immutable) throw errors.validation(immutable, 'cannot be changed; delete and re-create the PV');
      return service.update((request.params as Static<typeof pvParams>).id, body, callerOf(request)?.appName ?? null);
    },
  );

  scope.delete('/v1/pvs/:id', { schema: { tags, params: pvParams } }, async (request) => service.remove((request.params as Static<typeof pvParams>).id));
}
