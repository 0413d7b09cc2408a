/**
 * B4's floor: plain Fastify serving an unfiltered page of squirrel's PVs, with their tags, from the same
 * SQLite file as the squirrel server under test, by hand: the same API-key check (SHA-256 + one read),
 * three prepared better-sqlite3 reads (rows, their links, the tags they name) and JSON.stringify. What
 * burrow spends beyond it is the stack and the search, not the machine. Run as its own process:
 * `barePageServer.ts <squirrel.db>`; prints `{"url"}`, answers each stdin line with processUsage() and
 * exits when stdin ends. `GET /page?after=<id>&limit=<n>`.
 */
import readline from 'node:readline';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { hashToken } from '../../../src/core/secrets/index.ts';
import { processUsage } from '../../_support/usage.ts';

type Row = [string, string | null, string | null, string | null, string | null, string | null, number, number, number, string | null, string | null, number, number];

interface Tag {
  id: string;
  name: string;
  description: string | null;
  group_id: string;
  group_name: string;
}

const MAX_LIMIT = 1000;
const sqlite = new Database(process.argv[2]!, { readonly: true });
const findKey = sqlite.prepare('select read_access from api_key where token_hash = ? and is_active').pluck();
// Raw rows (arrays) and objects built here: better-sqlite3's own row objects cost twice as much.
const page = sqlite
  .prepare(
    `select id, setpoint_address, readback_address, config_address, device, description, abs_tolerance, rel_tolerance,
       read_only, created_by, last_modified_by, created_at, updated_at from pv where id > ? order by id limit ?`,
  )
  .raw(true);
const links = sqlite.prepare('select pv_id, tag_id from pv_tag where pv_id in (select value from json_each(?))').raw(true);
// the tags in PV views' order: group name, then tag name
const tags = sqlite
  .prepare(
    `select t.id, t.name, t.description, t.group_id, g.name as group_name from tag t join tag_group g on g.id = t.group_id
     where t.id in (select value from json_each(?)) order by g.name_key, t.name_key`,
  )
  .raw(true);

const fastify = Fastify({ logger: false });
fastify.get<{ Querystring: { after?: string; limit?: string } }>('/page', async (request, reply) => {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string' || !findKey.get(hashToken(key))) return reply.code(401).send({ error: 'Invalid API key', code: 'invalid_api_key' });
  const limit = Math.min(MAX_LIMIT, Number(request.query.limit ?? 100));
  const rows = page.all(request.query.after ?? '', limit + 1) as Row[];
  const shown = rows.length > limit ? rows.slice(0, limit) : rows;
  const linked = links.all(JSON.stringify(shown.map((row) => row[0]))) as [string, string][];
  const rankOf = new Map<string, number>();
  const catalogue = (tags.all(JSON.stringify([...new Set(linked.map((link) => link[1]))])) as string[][]).map(([id, name, description, group_id, group_name], rank): Tag => {
    rankOf.set(id!, rank);
    return { id: id!, name: name!, description: description ?? null, group_id: group_id!, group_name: group_name! };
  });
  const byPv = new Map<string, Tag[]>();
  for (const [pvId, tagId] of linked) {
    const tag = catalogue[rankOf.get(tagId)!]!;
    const list = byPv.get(pvId);
    if (list) list.push(tag);
    else byPv.set(pvId, [tag]);
  }
  const times = new Map<number, string>();
  const iso = (ms: number) => times.get(ms) ?? times.set(ms, new Date(ms).toISOString()).get(ms)!;
  const items = shown.map((row) => ({
    id: row[0],
    setpoint_address: row[1],
    readback_address: row[2],
    config_address: row[3],
    device: row[4],
    description: row[5],
    abs_tolerance: row[6],
    rel_tolerance: row[7],
    read_only: Boolean(row[8]),
    protocol: 'ca',
    tags: (byPv.get(row[0]) ?? []).sort((a, b) => rankOf.get(a.id)! - rankOf.get(b.id)!),
    created_by: row[9],
    last_modified_by: row[10],
    created_at: iso(row[11]),
    updated_at: iso(row[12]),
  }));
  const hasMore = rows.length > limit;
  return { items, next_cursor: hasMore ? Buffer.from(JSON.stringify({ v: 1, after: shown.at(-1)![0] })).toString('base64url') : null, has_more: hasMore };
});

const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
const input = readline.createInterface({ input: process.stdin });
input.on('line', () => process.stdout.write(`${JSON.stringify(processUsage())}\n`));
input.on('close', () => void fastify.close().then(() => process.exit(0)));
