import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '0195f2c4-7d1e-7a3b-9c41-2f6d0e8a1b01';

describe('squirrel PVs (spec §3.2, §12 items 11–26)', () => {
  let sq: SquirrelHarness;
  let tagId: string;
  before(async () => {
    sq = await startSquirrel();
    tagId = (await sq.call('POST', '/v1/tags', { name: 'Area', tags: [{ name: 'LI21' }] })).json().tags[0].id;
  });
  after(() => sq.dispose());

  it('§12.11 a setpoint-only PV gets null readback and config, zero tolerances, read_only false and a UUIDv7 id', async () => {
    const res = await sq.call('POST', '/v1/pvs', { setpoint_address: 'QUAD:LI21:201:BDES' });
    assert.equal(res.statusCode, 200);
    const pv = res.json();
    assert.match(pv.id, UUIDV7);
    assert.deepEqual(
      { ...pv, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined, setpoint_address: 'QUAD:LI21:201:BDES', readback_address: null, config_address: null, device: null,
        description: null, abs_tolerance: 0, rel_tolerance: 0, read_only: false, protocol: 'ca', tags: [],
        created_by: 'admin', last_modified_by: 'admin', created_at: undefined, updated_at: undefined,
      },
    );
    assert.match(pv.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('§12.12 no address, or only blank ones, is 422; blank optional addresses are stored as null', async () => {
    for (const body of [{}, { setpoint_address: '  ', readback_address: '' }]) {
      const res = await sq.call('POST', '/v1/pvs', body);
      assert.equal(res.statusCode, 422);
      assert.equal(res.json().detail, 'body: At least one address (setpoint, readback or config) is required');
    }
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: ' BLANKS:SP ', readback_address: '', config_address: '  ' })).json();
    assert.deepEqual([pv.setpoint_address, pv.readback_address, pv.config_address], ['BLANKS:SP', null, null]);
  });

  it('§12.13 a duplicate setpoint is 409 pv_already_exists; a duplicate readback is allowed', async () => {
    await sq.call('POST', '/v1/pvs', { setpoint_address: 'DUP:SP', readback_address: 'DUP:RB' });
    const dup = await sq.call('POST', '/v1/pvs', { setpoint_address: 'DUP:SP' });
    assert.deepEqual([dup.statusCode, dup.json()], [409, { code: 'pv_already_exists', detail: 'PV with setpoint address DUP:SP already exists' }]);
    assert.equal((await sq.call('POST', '/v1/pvs', { setpoint_address: 'DUP:SP2', readback_address: 'DUP:RB' })).statusCode, 200);
  });

  it('§12.14 ca:// is stripped and conflicts with the bare address; pva:// is kept with protocol pva; http:// is 422', async () => {
    const ca = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'ca://PROTO:A' })).json();
    assert.deepEqual([ca.setpoint_address, ca.protocol], ['PROTO:A', 'ca']);
    assert.equal((await sq.call('POST', '/v1/pvs', { setpoint_address: 'PROTO:A' })).statusCode, 409);
    const pva = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'pva://PROTO:B' })).json();
    assert.deepEqual([pva.setpoint_address, pva.protocol], ['pva://PROTO:B', 'pva']);
    const http = await sq.call('POST', '/v1/pvs', { setpoint_address: 'http://x' });
    assert.equal(http.statusCode, 422);
    assert.deepEqual(http.json().errors.map((e: { field: string }) => e.field), ['setpoint_address']);
  });

  it('§12.15 tag_ids return tag objects with the group name; an unknown tag is 404 on create, bulk create and PUT', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'TAGS:1', tags: [tagId] })).json();
    assert.deepEqual(pv.tags, [{ id: tagId, name: 'LI21', description: null, group_id: pv.tags[0].group_id, group_name: 'Area' }]);
    const single = await sq.call('POST', '/v1/pvs', { setpoint_address: 'TAGS:2', tag_ids: [UNKNOWN_ID] });
    assert.deepEqual([single.statusCode, single.json().code], [404, 'tag_not_found']);
    const bulk = await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'TAGS:3', tag_ids: [UNKNOWN_ID] }]);
    assert.deepEqual([bulk.statusCode, bulk.json().code], [404, 'tag_not_found']);
    const put = await sq.call('PUT', `/v1/pvs/${pv.id}`, { tag_ids: ['not-a-uuid'] });
    assert.deepEqual([put.statusCode, put.json().code], [404, 'tag_not_found']);
  });

  it("a PV's tags are ordered by group name, then tag name, in every view; a deleted tag leaves them all", async () => {
    const beam = (await sq.call('POST', '/v1/tags', { name: 'Beam', tags: ['Zeta', 'alpha', 'Mid'].map((name) => ({ name })) })).json();
    const id = (name: string) => (beam.tags as { id: string; name: string }[]).find((tag) => tag.name === name)!.id;
    const names = (pv: { tags: { group_name: string; name: string }[] }) => pv.tags.map((tag) => `${tag.group_name}/${tag.name}`);
    const expected = ['Area/LI21', 'Beam/alpha', 'Beam/Mid', 'Beam/Zeta'];
    const given = [id('Zeta'), tagId, id('Mid'), id('alpha'), id('Mid')];
    const created = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'ORDER:1', tag_ids: given })).json();
    const [bulk] = (await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'ORDER:2', tag_ids: given }])).json();
    const updated = (await sq.call('PUT', `/v1/pvs/${bulk.id}`, { tag_ids: [id('Mid'), id('Zeta'), tagId, id('alpha')] })).json();
    const views = async () => [
      (await sq.call('GET', `/v1/pvs/${created.id}`)).json(),
      ...(await sq.call('GET', '/v1/pvs?query=order:')).json(),
      ...(await sq.call('GET', '/v1/pvs/paged?query=order:')).json().items,
      ...(await sq.call('GET', '/v1/pvs/search?q=order:')).json().results,
    ];
    for (const pv of [created, bulk, updated, ...(await views())]) assert.deepEqual(names(pv), expected);
    assert.equal((await sq.call('DELETE', `/v1/tags/${beam.id}/tags/${id('Mid')}`)).statusCode, 200);
    for (const pv of await views()) assert.deepEqual(names(pv), ['Area/LI21', 'Beam/alpha', 'Beam/Zeta']);
  });

  it('§12.16 bulk create returns PVs in input order; [] gives []; {"pvs":[…]} is accepted', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => ({ setpoint_address: `BULK:${9 - i}:SP`, device: `BULK:${9 - i}` }));
    const res = await sq.call('POST', '/v1/pvs/multi', inputs);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().map((p: { setpoint_address: string }) => p.setpoint_address), inputs.map((i) => i.setpoint_address));
    assert.deepEqual((await sq.call('POST', '/v1/pvs/multi', [])).json(), []);
    const wrapped = await sq.call('POST', '/v1/pvs/multi', { pvs: [{ setpoint_address: 'WRAPPED:1' }] });
    assert.equal(wrapped.json()[0].setpoint_address, 'WRAPPED:1');
  });

  it('§12.17 a bulk request with an inner duplicate or an existing setpoint is 409 and creates none of its rows', async () => {
    const inner = await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'ATOM:1' }, { setpoint_address: 'ATOM:2' }, { setpoint_address: 'ATOM:1' }]);
    assert.deepEqual([inner.statusCode, inner.json()], [409, { code: 'pv_already_exists', detail: 'Duplicate setpoint addresses in import: [ATOM:1]' }]);
    const existing = await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'ATOM:3' }, { setpoint_address: 'DUP:SP' }]);
    assert.deepEqual([existing.statusCode, existing.json().detail], [409, 'Setpoint addresses already exist: [DUP:SP]']);
    assert.deepEqual((await sq.call('GET', '/v1/pvs?query=ATOM')).json(), []);
    const invalid = await sq.call('POST', '/v1/pvs/multi', [{ setpoint_address: 'OK:1' }, { setpoint_address: 'bad address' }]);
    assert.deepEqual([invalid.statusCode, invalid.json().errors[0].field], [422, '[1].setpoint_address']);
  });

  it('§12.18 PUT changes description, tolerances, read_only and tags only; an address is 422; an unknown id is 404', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'PUT:SP', description: 'before', abs_tolerance: 1 })).json();
    const res = await sq.call('PUT', `/v1/pvs/${pv.id}`, { description: 'after', rel_tolerance: 0.5, read_only: true, abs_tolerance: null, tag_ids: [tagId] });
    const updated = res.json();
    assert.deepEqual(
      [updated.description, updated.abs_tolerance, updated.rel_tolerance, updated.read_only, updated.tags.length],
      ['after', 1, 0.5, true, 1],
    );
    const immutable = await sq.call('PUT', `/v1/pvs/${pv.id}`, { setpoint_address: 'PUT:OTHER' });
    assert.deepEqual([immutable.statusCode, immutable.json().errors], [
      422,
      [{ in: 'body', field: 'setpoint_address', message: 'cannot be changed; delete and re-create the PV' }],
    ]);
    assert.equal((await sq.call('PUT', `/v1/pvs/${UNKNOWN_ID}`, { description: 'x' })).json().code, 'pv_not_found');
    assert.equal((await sq.call('PUT', `/v1/pvs/${pv.id}`, { abs_tolerance: '5' })).statusCode, 422);
  });

  it('a PUT without tag_ids keeps the tags, one with duplicates lists each once, and tag_ids [] clears them, in the reply and on a later GET', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'PUT:TAGS', tag_ids: [tagId] })).json();
    const tagIdsNow = async (reply: { json(): { tags: { id: string }[] } }) => {
      const fromReply = reply.json().tags.map((tag) => tag.id);
      const fromGet = (await sq.call('GET', `/v1/pvs/${pv.id}`)).json().tags.map((tag: { id: string }) => tag.id);
      return [fromReply, fromGet];
    };
    assert.deepEqual(await tagIdsNow(await sq.call('PUT', `/v1/pvs/${pv.id}`, { description: 'kept' })), [[tagId], [tagId]]);
    assert.deepEqual(await tagIdsNow(await sq.call('PUT', `/v1/pvs/${pv.id}`, { tag_ids: [tagId, tagId] })), [[tagId], [tagId]]);
    assert.deepEqual(await tagIdsNow(await sq.call('PUT', `/v1/pvs/${pv.id}`, { tag_ids: [] })), [[], []]);
  });

  it('§12.19 DELETE returns true; GET then gives 404; deleting again gives 404', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'DEL:SP' })).json();
    assert.equal((await sq.call('DELETE', `/v1/pvs/${pv.id}`)).json(), true);
    assert.equal((await sq.call('GET', `/v1/pvs/${pv.id}`)).json().code, 'pv_not_found');
    assert.equal((await sq.call('DELETE', `/v1/pvs/${pv.id}`)).statusCode, 404);
  });

  it('§12.20 the simple search matches case-insensitively across the five fields; pvName is an alias', async () => {
    await sq.call('POST', '/v1/pvs/multi', [
      { setpoint_address: 'FIND:A', description: 'Needle in setpoint description' },
      { readback_address: 'FIND:B:NEEDLE' },
      { config_address: 'FIND:C:needle' },
      { setpoint_address: 'FIND:D', device: 'NeEdLe-dev' },
      { setpoint_address: 'FIND:E' },
    ]);
    const found = (await sq.call('GET', '/v1/pvs?query=needle')).json().map((p: { setpoint_address: string | null; readback_address: string | null; config_address: string | null }) => p.setpoint_address ?? p.readback_address ?? p.config_address);
    assert.deepEqual(found, ['FIND:A', 'FIND:B:NEEDLE', 'FIND:C:needle', 'FIND:D']);
    assert.equal((await sq.call('GET', '/v1/pvs?pvName=NEEDLE')).json().length, 4);
    assert.equal((await sq.call('GET', '/v1/pvs?query=100%25')).json().length, 0);
  });

  it('§12.26 /v1/pvs/devices returns sorted distinct non-null devices', async () => {
    const devices = (await sq.call('GET', '/v1/pvs/devices')).json() as string[];
    assert.deepEqual(devices, [...new Set(devices)].sort());
    assert.ok(devices.includes('BULK:0') && devices.includes('NeEdLe-dev'));
  });
});

describe('squirrel PV paging and search (spec §3.2, §12 items 21–25)', () => {
  let sq: SquirrelHarness;
  const tags: Record<string, string> = {};
  const ids: Record<string, string> = {};
  before(async () => {
    sq = await startSquirrel();
    const g1 = (await sq.call('POST', '/v1/tags', { name: 'g1', tags: [{ name: 'a' }, { name: 'b' }] })).json();
    const g2 = (await sq.call('POST', '/v1/tags', { name: 'g2', tags: [{ name: 'c' }] })).json();
    for (const t of [...g1.tags, ...g2.tags]) tags[t.name] = t.id;
    tags.g1 = g1.id;
    tags.g2 = g2.id;
    const pvs = (
      await sq.call('POST', '/v1/pvs/multi', [
        { setpoint_address: 'PG:E', tag_ids: [tags.a, tags.c] },
        { setpoint_address: 'PG:D', tag_ids: [tags.b] },
        { setpoint_address: 'PG:C', tag_ids: [tags.b, tags.c] },
        { readback_address: 'PG:RB', tag_ids: [tags.c] },
        { setpoint_address: 'PG:A' },
      ])
    ).json();
    for (const pv of pvs) ids[pv.setpoint_address ?? pv.readback_address] = pv.id;
  });
  after(() => sq.dispose());

  it('§12.21 paging 5 PVs by 2 gives 3 pages without overlap, has_more false and next_cursor null on the last', async () => {
    const seen: string[] = [];
    let url = '/v1/pvs/paged?limit=2';
    const shapes: [number, boolean][] = [];
    for (;;) {
      const page = (await sq.call('GET', url)).json();
      seen.push(...page.items.map((p: { id: string }) => p.id));
      shapes.push([page.items.length, page.has_more]);
      if (!page.has_more) {
        assert.equal(page.next_cursor, null);
        break;
      }
      url = `/v1/pvs/paged?pageSize=2&continuationToken=${page.next_cursor}`;
    }
    assert.deepEqual(shapes, [[2, true], [2, true], [1, false]]);
    assert.deepEqual(seen, Object.values(ids).sort());
  });

  it('§12.22 include_total adds total_count; a filter without matches gives empty items and has_more false', async () => {
    const page = (await sq.call('GET', '/v1/pvs/paged?limit=2&include_total=true')).json();
    assert.equal(page.total_count, 5);
    assert.equal('total_count' in (await sq.call('GET', '/v1/pvs/paged')).json(), false);
    assert.deepEqual((await sq.call('GET', '/v1/pvs/paged?query=nothing-matches')).json(), { items: [], next_cursor: null, has_more: false });
  });

  it('§12.23 tagFilters ORs within a group and ANDs across groups; {} is no filter', async () => {
    const filter = encodeURIComponent(JSON.stringify({ [tags.g1!]: [tags.a, tags.b], [tags.g2!]: [tags.c] }));
    const page = (await sq.call('GET', `/v1/pvs/paged?tagFilters=${filter}`)).json();
    assert.deepEqual(page.items.map((p: { id: string }) => p.id).sort(), [ids['PG:E'], ids['PG:C']].sort());
    assert.equal((await sq.call('GET', `/v1/pvs/paged?tagFilters=${encodeURIComponent('{}')}`)).json().items.length, 5);
    assert.equal((await sq.call('GET', `/v1/pvs/paged?tag_ids=${tags.a},${tags.b}`)).json().items.length, 3);
  });

  it('§12.24 bad tagFilters give 400 invalid_tag_filters, a garbled cursor 400 invalid_cursor, limit out of range 422', async () => {
    for (const raw of ['notjson', '[1]', '{"g":[1]}']) {
      const res = await sq.call('GET', `/v1/pvs/paged?tagFilters=${encodeURIComponent(raw)}`);
      assert.deepEqual([res.statusCode, res.json().code], [400, 'invalid_tag_filters'], raw);
    }
    const badCursors = ['%%%', Buffer.from('{"v":2,"after":"x"}').toString('base64url'), Buffer.from('{"v":1,"after":"x"}').toString('base64url')];
    for (const cursor of badCursors) {
      const res = await sq.call('GET', `/v1/pvs/paged?cursor=${encodeURIComponent(cursor)}`);
      assert.deepEqual([res.statusCode, res.json().code], [400, 'invalid_cursor'], cursor);
    }
    for (const limit of ['0', '1001']) assert.equal((await sq.call('GET', `/v1/pvs/paged?limit=${limit}`)).statusCode, 422);
  });

  it('§12.25 search returns {results,total_count,limit,offset} ordered by setpoint with nulls last', async () => {
    const res = (await sq.call('GET', '/v1/pvs/search?q=PG&limit=3&offset=1')).json();
    assert.deepEqual(
      { ...res, results: res.results.map((p: { setpoint_address: string | null }) => p.setpoint_address) },
      { results: ['PG:C', 'PG:D', 'PG:E'], total_count: 5, limit: 3, offset: 1, live_values: null, live_values_error: null },
    );
    const last = (await sq.call('GET', '/v1/pvs/search?q=PG&offset=4')).json();
    assert.equal(last.results[0].readback_address, 'PG:RB');
    const byTag = (await sq.call('GET', `/v1/pvs/search?tags=${tags.c}`)).json();
    assert.equal(byTag.total_count, 3);
  });
});
