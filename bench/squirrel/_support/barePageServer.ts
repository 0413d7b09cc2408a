/**
 * B4's floor: plain Fastify serving an unfiltered page of squirrel's PVs, with their tags, from the same
 * SQLite file as the squirrel server under test, by hand: the same API-key check (SHA-256 + one read),
 * three prepared better-sqlite3 reads (rows, their links, the tags they name) and JSON.stringify. What
 * burrow spends beyond it is the stack and the search, not the machine. Run as its own process:
 * `barePageServer.ts <squirrel.db>`; prints `{"url"}`, answers each stdin line with `{"cpuMicros"}` and
 * exits when stdin ends. `GET /page?after=<id>&limit=<n>`.
 */
import readline from 'node:readline';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { hashToken } from '../../../src/core/secrets/index.ts';

interface Row {
  id: string;
  created_at: number;
  updated_at: number;
  read_only: number;
  [column: string]: unknown;
}

interface Tag {
  id: string;
  name: string;
  description: string | null;
  group_id: string;
  group_name: string;
  rank: number;
}

const MAX_LIMIT = 1000;
const sqlite = new Database(process.argv[2]!, { readonly: true });
const findKey = sqlite.prepare('select read_access from api_key where token_hash = ? and is_active');
const page = sqlite.prepare(
  `select id, setpoint_address, readback_address, config_address, device, description, abs_tolerance, rel_tolerance,
     read_only, created_by, last_modified_by, created_at, updated_at from pv where id > ? order by id limit ?`,
);
const links = sqlite.prepare('select pv_id, tag_id from pv_tag where pv_id in (select value from json_each(?))');
// the catalogue with each tag's rank in PV views' order: group name, then tag name
const tags = sqlite.prepare(
  `select t.id, t.name, t.description, t.group_id, g.name as group_name from tag t join tag_group g on g.id = t.group_id
   where t.id in (select value from json_each(?)) order by g.name_key, t.name_key`,
);

const fastify = Fastify({ logger: false });
fastify.get<{ Querystring: { after?: string; limit?: string } }>('/page', async (request, reply) => {
  const key = request.headers['x-api-key'];
  const caller = typeof key === 'string' ? (findKey.get(hashToken(key)) as { read_access: number } | undefined) : undefined;
  if (!caller?.read_access) return reply.code(401).send({ error: 'Invalid API key', code: 'invalid_api_key' });
  const limit = Math.min(MAX_LIMIT, Number(request.query.limit ?? 100));
  const rows = page.all(request.query.after ?? '', limit + 1) as Row[];
  const shown = rows.slice(0, limit);
  const ids = shown.map((row) => row.id);
  const linked = links.all(JSON.stringify(ids)) as { pv_id: string; tag_id: string }[];
  const catalogue = (tags.all(JSON.stringify([...new Set(linked.map((link) => link.tag_id))])) as Tag[]).map((tag, rank) => ({ ...tag, rank }));
  const byId = new Map(catalogue.map((tag) => [tag.id, tag]));
  const byPv = new Map<string, Tag[]>();
  for (const link of linked) {
    const tag = byId.get(link.tag_id)!;
    byPv.set(link.pv_id, [...(byPv.get(link.pv_id) ?? []), tag]);
  }
  const items = shown.map((row) => ({
    ...row,
    read_only: Boolean(row.read_only),
    protocol: 'ca',
    tags: (byPv.get(row.id) ?? []).sort((a, b) => a.rank - b.rank).map(({ rank: _rank, ...tag }) => tag),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  }));
  const hasMore = rows.length > limit;
  return { items, next_cursor: hasMore ? Buffer.from(JSON.stringify({ v: 1, after: ids.at(-1) })).toString('base64url') : null, has_more: hasMore };
});

const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
const input = readline.createInterface({ input: process.stdin });
input.on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});
input.on('close', () => void fastify.close().then(() => process.exit(0)));
