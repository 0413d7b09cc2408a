import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';
import type { PvTable } from '../../../src/apps/squirrel/db/schema.ts';

/*
 * Substring search through the trigram indexes (spec §3.2, §7) must return exactly what a naive
 * case-insensitive substring filter over the five searchable fields returns, on both databases, through
 * creates, bulk creates, updates and deletes.
 */

type Pv = Pick<PvTable, 'id' | 'setpoint_address' | 'readback_address' | 'config_address' | 'device' | 'description'> & {
  tags: { id: string; group_id: string }[];
};

// Letters of both cases, LIKE and FTS5 query metacharacters, and characters whose case folding is unusual.
const ADDRESS_CHARS = [...'abcABC:_%\\"*^-.01', 'É', 'é', 'ß', 'İ', 'Σ', 'ς'];
const TEXT_CHARS = [...ADDRESS_CHARS, ' ', ' '];

const word = (chars: readonly string[], min: number, max: number) => fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((c) => c.join(''));

const SEARCHABLE = ['setpoint_address', 'readback_address', 'config_address', 'device', 'description'] as const;

/*
 * Filler PVs, created first so they come first in id order, outnumber the rows a filtered page probes
 * one by one before it turns to the indexes: the random PVs behind them are reached both ways. Their
 * text uses letters and digits the random PVs never do.
 */
const FILLERS = 10_500;
const fillerText = (n: number) => [...n.toString(4)].map((d) => 'wxyz'[Number(d)]).join('') + '9';

function naiveMatch(pv: Pv, term: string): boolean {
  const needle = term.toLowerCase();
  return SEARCHABLE.some((field) => pv[field]?.toLowerCase().includes(needle) ?? false);
}

describe('squirrel PV search equals a naive substring filter (spec §3.2 search, §7 trigram indexes)', () => {
  let sq: SquirrelHarness;
  let pvs: Pv[] = [];
  /** the random PVs: where search terms are cut from */
  let randomPvs: Pv[] = [];
  const groups: { id: string; tagIds: string[] }[] = [];

  async function walk(query: Record<string, string>, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const res = await sq.call('GET', `/v1/pvs/paged?${params}`);
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json() as { items: Pv[]; next_cursor: string | null; has_more: boolean };
      ids.push(...page.items.map((p) => p.id));
      if (!page.has_more) return ids;
      cursor = page.next_cursor;
    }
  }

  async function reload(): Promise<void> {
    pvs = [];
    let cursor: string | null = null;
    do {
      const page = (await sq.call('GET', `/v1/pvs/paged?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: Pv[]; next_cursor: string | null };
      pvs.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    randomPvs = pvs.filter((pv) => !pv.setpoint_address?.startsWith('FILL'));
  }

  const terms = () =>
    fc.oneof(
      // a piece of a stored field, in a random case: the hits the index must find
      fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 12 }), fc.boolean()).map(([p, f, len, upper]) => {
        const values = randomPvs.flatMap((pv) => SEARCHABLE.map((field) => pv[field]).filter((v): v is string => v !== null));
        const value = values[p % values.length] ?? 'abc';
        const start = f % Math.max(1, value.length);
        const piece = value.slice(start, start + len);
        return upper ? piece.toUpperCase() : piece;
      }),
      word(TEXT_CHARS, 1, 12),
    ).filter((t) => t.trim().length > 0);

  async function assertSearchesMatch(runs: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(terms(), fc.subarray([0, 1, 2]), fc.integer({ min: 1, max: 40 }), async (term, groupPicks, limit) => {
        const tagFilters: Record<string, string[]> = {};
        for (const g of groupPicks) tagFilters[groups[g]!.id] = groups[g]!.tagIds.slice(0, 2);
        const expectedTerm = pvs.filter((pv) => naiveMatch(pv, term)).map((pv) => pv.id).sort();
        const expectedBoth = pvs
          .filter((pv) => naiveMatch(pv, term) && Object.values(tagFilters).every((ids) => pv.tags.some((t) => ids.includes(t.id))))
          .map((pv) => pv.id)
          .sort();
        assert.deepEqual(await walk({ query: term }, limit), expectedTerm, `paged, term ${JSON.stringify(term)}`);
        assert.deepEqual(await walk({ query: term, tagFilters: JSON.stringify(tagFilters) }, limit), expectedBoth, `paged with filters, term ${JSON.stringify(term)}`);
        const listed = (await sq.call('GET', `/v1/pvs?${new URLSearchParams({ query: term })}`)).json() as Pv[];
        assert.deepEqual(listed.map((p) => p.id), expectedTerm.slice(0, 1000), `list, term ${JSON.stringify(term)}`);
        const searched = (await sq.call('GET', `/v1/pvs/search?${new URLSearchParams({ q: term, limit: '1000' })}`)).json() as { results: Pv[]; total_count: number };
        assert.deepEqual([searched.total_count, searched.results.map((p) => p.id).sort()], [expectedTerm.length, expectedTerm], `search, term ${JSON.stringify(term)}`);
      }),
      { numRuns: runs, seed: 4242 },
    );
  }

  before(async () => {
    sq = await startSquirrel();
    for (const name of ['Area', 'System', 'Beam']) {
      const group = (await sq.call('POST', '/v1/tags', { name, tags: [1, 2, 3, 4].map((i) => ({ name: `${name}${i}` })) })).json();
      groups.push({ id: group.id, tagIds: group.tags.map((t: { id: string }) => t.id) });
    }
    const allTags = groups.flatMap((g) => g.tagIds);
    const fillers = Array.from({ length: FILLERS }, (_, n) => ({
      setpoint_address: `FILL${fillerText(n)}`,
      description: fillerText(n * 7),
      tag_ids: [groups[0]!.tagIds[n % 4]!, groups[1]!.tagIds[(n >> 2) % 4]!],
    }));
    assert.equal((await sq.call('POST', '/v1/pvs/multi', fillers)).statusCode, 200);
    const inputs = fc.sample(
      fc.record({
        setpoint: word(ADDRESS_CHARS, 1, 16),
        readback: fc.option(word(ADDRESS_CHARS, 1, 16)),
        config: fc.option(word(ADDRESS_CHARS, 1, 16)),
        device: fc.option(word(ADDRESS_CHARS, 1, 10)),
        description: fc.option(word(TEXT_CHARS, 0, 40)),
        tags: fc.subarray(allTags, { maxLength: 3 }),
      }),
      { numRuns: 240, seed: 7 },
    );
    const seen = new Set<string>();
    const body = inputs
      .filter((i) => !seen.has(i.setpoint) && seen.add(i.setpoint))
      .map((i, n) => ({
        setpoint_address: `${i.setpoint}${n}`,
        readback_address: i.readback,
        config_address: i.config,
        device: i.device,
        description: i.description,
        tag_ids: i.tags,
      }));
    const res = await sq.call('POST', '/v1/pvs/multi', body);
    assert.equal(res.statusCode, 200, res.body);
    await reload();
  });
  after(() => sq.dispose());

  it('the trigram index exists on this database and is what a 3+ character term uses', async () => {
    const { database } = sq.test.server.context('squirrel');
    if (database.dialect.name === 'sqlite') {
      const plan = await sql<{ detail: string }>`explain query plan select id from pv where rowid in (select rowid from pv_fts where pv_fts match ${'"abc"'})`.execute(database.db);
      assert.ok(plan.rows.some((r) => r.detail.includes('VIRTUAL TABLE INDEX')), JSON.stringify(plan.rows));
    } else {
      const index = await sql<{ indexdef: string }>`select indexdef from pg_indexes where schemaname = current_schema() and indexname = 'pv_search_trgm_idx'`.execute(database.db);
      assert.match(index.rows[0]?.indexdef ?? '', /gin \(search_text \S*gin_trgm_ops\)/);
    }
  });

  it('paged, list and search give exactly the naive matches for terms of 1 to 12 characters, with and without tag filters', async () => {
    await assertSearchesMatch(120);
  });

  it('the index follows creates, bulk creates, description updates and deletes', async () => {
    const victims = pvs.slice(0, 30);
    for (const pv of victims.slice(0, 15)) assert.equal((await sq.call('DELETE', `/v1/pvs/${pv.id}`)).statusCode, 200);
    for (const [i, pv] of victims.slice(15).entries()) {
      assert.equal((await sq.call('PUT', `/v1/pvs/${pv.id}`, { description: `Rewritten ζeta ${i} %_\\` })).statusCode, 200);
    }
    assert.equal((await sq.call('POST', '/v1/pvs', { setpoint_address: 'NEW:ZETA:SP', description: 'Fresh ΖETA' })).statusCode, 200);
    const bulk = await sq.call('POST', '/v1/pvs/multi', [1, 2, 3].map((i) => ({ setpoint_address: `BULK:ZETA:${i}`, device: 'ZetaDev' })));
    assert.equal(bulk.statusCode, 200, bulk.body);
    await reload();

    const zeta = await walk({ query: 'ζeta' }, 5);
    assert.equal(zeta.length, 15 + 1);
    assert.deepEqual(await walk({ query: 'zeta' }, 5), pvs.filter((pv) => naiveMatch(pv, 'zeta')).map((pv) => pv.id).sort());
    for (const pv of victims.slice(0, 15)) {
      const term = pv.setpoint_address!;
      assert.ok(!(await walk({ query: term }, 100)).includes(pv.id), `deleted PV ${term} is still found`);
    }
    await assertSearchesMatch(40);
  });

  it('walks over thousands of matches, inside and beyond the probed window, and sparse tag intersections give every match once in id order', async () => {
    const tagFilters = { [groups[0]!.id]: groups[0]!.tagIds.slice(0, 2), [groups[1]!.id]: groups[1]!.tagIds.slice(1, 3) };
    const inGroups = (pv: Pv) => Object.values(tagFilters).every((ids) => pv.tags.some((t) => ids.includes(t.id)));
    const dense = [97, 1000];
    // sparse matches are also paged a few at a time, so pages after the first come from a cursor too
    const sparse = [3, 97];
    const cases: [Record<string, string>, (pv: Pv) => boolean, number[]][] = [
      [{ query: 'w' }, (pv) => naiveMatch(pv, 'w'), dense],
      [{ query: 'xyz' }, (pv) => naiveMatch(pv, 'xyz'), dense],
      [{ query: 'fill', tagFilters: JSON.stringify(tagFilters) }, (pv) => naiveMatch(pv, 'fill') && inGroups(pv), dense],
      [{ tagFilters: JSON.stringify(tagFilters) }, inGroups, dense],
      // a rare term over two tag groups: the first window of links holds too few matches, and the tag
      // sets' intersection gives the rest
      [{ query: 'zzz9', tagFilters: JSON.stringify(tagFilters) }, (pv) => naiveMatch(pv, 'zzz9') && inGroups(pv), sparse],
      [{ tag_ids: groups[2]!.tagIds.join(',') }, (pv) => pv.tags.some((t) => groups[2]!.tagIds.includes(t.id)), sparse],
      // the driving tags' first thousands of links (all fillers) hold no match: the walk must go on past them
      [
        { tagFilters: JSON.stringify({ [groups[0]!.id]: groups[0]!.tagIds.slice(0, 2), [groups[2]!.id]: groups[2]!.tagIds.slice(0, 3) }) },
        (pv) => pv.tags.some((t) => groups[0]!.tagIds.slice(0, 2).includes(t.id)) && pv.tags.some((t) => groups[2]!.tagIds.slice(0, 3).includes(t.id)),
        sparse,
      ],
    ];
    for (const [query, expected, limits] of cases) {
      const want = pvs.filter(expected).map((pv) => pv.id).sort();
      assert.ok(want.length > limits[0]!, `${JSON.stringify(query)}: ${want.length} matches`);
      for (const limit of limits) assert.deepEqual(await walk(query, limit), want, `${JSON.stringify(query)} limit ${limit}`);
    }
  });

  it('tag filters and the tags shown follow re-tagged PVs, renamed and deleted tags, and deleted PVs', async () => {
    const group = (await sq.call('POST', '/v1/tags', { name: 'Upkeep', tags: [{ name: 'b-first' }, { name: 'c-second' }] })).json();
    const [first, second] = group.tags.map((t: { id: string }) => t.id) as [string, string];
    const other = groups[1]!.tagIds[0]!;
    const created = await sq.call('POST', '/v1/pvs/multi', [
      { setpoint_address: 'UPKEEP:A', tag_ids: [first] },
      { setpoint_address: 'UPKEEP:B', tag_ids: [second, other] },
      { setpoint_address: 'UPKEEP:C', tag_ids: [first, second] },
    ]);
    assert.equal(created.statusCode, 200, created.body);
    const [a, b, c] = (created.json() as Pv[]).map((pv) => pv.id) as [string, string, string];
    // with no term the tags' links drive the walk; with a rare term the trigram index does: both must agree
    const matching = async (tagFilters: Record<string, string[]>) => {
      const byLinks = await walk({ tagFilters: JSON.stringify(tagFilters) }, 2);
      assert.deepEqual(await walk({ query: 'upkeep', tagFilters: JSON.stringify(tagFilters) }, 2), byLinks);
      return byLinks;
    };
    const tagNames = async (id: string) => ((await sq.call('GET', `/v1/pvs/${id}`)).json() as { tags: { name: string }[] }).tags.map((t) => t.name);

    assert.deepEqual(await matching({ [group.id]: [first] }), [a, c]);
    assert.deepEqual(await matching({ [group.id]: [second], [groups[1]!.id]: [other] }), [b]);
    assert.equal((await sq.call('PUT', `/v1/pvs/${b}`, { tag_ids: [first, other] })).statusCode, 200);
    assert.equal((await sq.call('PUT', `/v1/pvs/${a}`, { tag_ids: [] })).statusCode, 200);
    assert.deepEqual(await matching({ [group.id]: [first] }), [b, c]);
    assert.deepEqual(await matching({ [group.id]: [first], [groups[1]!.id]: [other] }), [b]);

    // a PV's tags are ordered by group, then tag name: a rename reorders them
    assert.deepEqual(await tagNames(c), ['b-first', 'c-second']);
    assert.equal((await sq.call('PUT', `/v1/tags/${group.id}/tags/${first}`, { name: 'd-renamed' })).statusCode, 200);
    assert.deepEqual(await tagNames(c), ['c-second', 'd-renamed']);

    assert.equal((await sq.call('DELETE', `/v1/tags/${group.id}/tags/${first}`)).statusCode, 200);
    assert.deepEqual(await tagNames(c), ['c-second']);
    assert.deepEqual(await matching({ [group.id]: [second] }), [c]);
    assert.equal((await sq.call('DELETE', `/v1/pvs/${c}`)).statusCode, 200);
    assert.deepEqual(await matching({ [group.id]: [second] }), []);
    assert.deepEqual(await matching({ [group.id]: [second, first], [groups[1]!.id]: [other] }), []);
  });

  it('a term that matches nothing gives an empty page, and a garbled cursor is still 400 invalid_cursor', async () => {
    assert.deepEqual(await walk({ query: 'no-such-pv-anywhere' }, 10), []);
    // an empty tag list is a tag filter no PV passes, as before tag-driven walks
    assert.deepEqual(await walk({ tag_ids: '' }, 10), []);
    assert.deepEqual(await walk({ tag_ids: ',', tagFilters: JSON.stringify({ [groups[0]!.id]: groups[0]!.tagIds }) }, 10), []);
    const res = await sq.call('GET', '/v1/pvs/paged?query=abc&cursor=not-a-cursor');
    assert.deepEqual([res.statusCode, res.json().code], [400, 'invalid_cursor']);
  });
});
