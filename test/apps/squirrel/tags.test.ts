import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

describe('squirrel tag groups and tags (spec §3.4, §12 items 53–58)', () => {
  let sq: SquirrelHarness;
  before(async () => {
    sq = await startSquirrel();
  });
  after(() => sq.dispose());

  it('§12.53 group CRUD works; a duplicate name in another case is 409; a missing name is 422', async () => {
    const created = await sq.call('POST', '/v1/tags', { name: ' Area ', description: 'Machine areas', tags: [{ name: 'LI22' }, { name: 'LI21' }] });
    assert.equal(created.statusCode, 200);
    const group = created.json();
    assert.equal(group.name, 'Area');
    assert.deepEqual(group.tags.map((t: { name: string }) => t.name), ['LI21', 'LI22']);
    const clash = await sq.call('POST', '/v1/tags', { name: 'AREA' });
    assert.deepEqual([clash.statusCode, clash.json()], [409, { code: 'tag_group_conflict', detail: "Tag group 'AREA' already exists" }]);
    assert.equal((await sq.call('POST', '/v1/tags', {})).statusCode, 422);
    const renamed = await sq.call('PUT', `/v1/tags/${group.id}`, { name: 'Areas', description: null });
    assert.deepEqual([renamed.json().name, renamed.json().description], ['Areas', null]);
    const other = (await sq.call('POST', '/v1/tags', { name: 'Other' })).json();
    assert.equal((await sq.call('PUT', `/v1/tags/${other.id}`, { name: 'areas' })).statusCode, 409);
    assert.equal((await sq.call('DELETE', `/v1/tags/${other.id}`)).json(), true);
    assert.equal((await sq.call('GET', `/v1/tags/${other.id}`)).json().code, 'tag_group_not_found');
  });

  it('§12.54 GET /v1/tags/{id} is an object with tags; the list carries tag_count', async () => {
    const group = (await sq.call('POST', '/v1/tags', { name: 'Subsystem', tags: [{ name: 'Magnets' }, { name: 'RF' }] })).json();
    const fetched = await sq.call('GET', `/v1/tags/${group.id}`);
    assert.equal(Array.isArray(fetched.json()), false);
    assert.deepEqual(fetched.json(), group);
    const listed = (await sq.call('GET', '/v1/tags')).json().find((g: { id: string }) => g.id === group.id);
    assert.equal(listed.tag_count, 2);
    assert.equal((await sq.call('POST', '/v1/tags', { name: 'Dup inline', tags: [{ name: 'a' }, { name: 'A' }] })).statusCode, 409);
  });

  it('§12.55 a duplicate tag is 409; with skip_duplicates it is 200 with was_created false', async () => {
    const group = (await sq.call('POST', '/v1/tags', { name: 'Beamline' })).json();
    const added = await sq.call('POST', `/v1/tags/${group.id}/tags`, { name: 'BL1', description: 'first' });
    assert.equal(added.json().was_created, true);
    assert.deepEqual(added.json().group.tags.map((t: { name: string }) => t.name), ['BL1']);
    const dup = await sq.call('POST', `/v1/tags/${group.id}/tags`, { name: 'bl1' });
    assert.deepEqual([dup.statusCode, dup.json().code], [409, 'tag_group_conflict']);
    const skipped = await sq.call('POST', `/v1/tags/${group.id}/tags?skip_duplicates=true`, { name: 'bl1' });
    assert.deepEqual([skipped.statusCode, skipped.json().was_created, skipped.json().group.tag_count], [200, false, 1]);
    const unknownGroup = await sq.call('POST', '/v1/tags/0195f2c4-7d1e-7a3b-9c41-2f6d0e8a1b01/tags', { name: 'x' });
    assert.equal(unknownGroup.json().code, 'tag_group_not_found');
  });

  it('§12.56 PUT and DELETE of a tag in the wrong group give 404 tag_not_found; DELETE removes the tag from PVs', async () => {
    const a = (await sq.call('POST', '/v1/tags', { name: 'Group A', tags: [{ name: 't1' }] })).json();
    const b = (await sq.call('POST', '/v1/tags', { name: 'Group B' })).json();
    const tagId = a.tags[0].id;
    assert.equal((await sq.call('PUT', `/v1/tags/${b.id}/tags/${tagId}`, { name: 'x' })).json().code, 'tag_not_found');
    assert.equal((await sq.call('DELETE', `/v1/tags/${b.id}/tags/${tagId}`)).json().code, 'tag_not_found');
    const renamed = await sq.call('PUT', `/v1/tags/${a.id}/tags/${tagId}`, { name: 't1-renamed' });
    assert.equal(renamed.json().tags[0].name, 't1-renamed');
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'TAGGED:1', tag_ids: [tagId] })).json();
    assert.equal(pv.tags.length, 1);
    const afterDelete = await sq.call('DELETE', `/v1/tags/${a.id}/tags/${tagId}`);
    assert.deepEqual(afterDelete.json().tags, []);
    assert.deepEqual((await sq.call('GET', `/v1/pvs/${pv.id}`)).json().tags, []);
  });

  it('§12.57 deleting a group whose tags are in use is 409 without force and removes group, tags and links with force', async () => {
    const group = (await sq.call('POST', '/v1/tags', { name: 'In use', tags: [{ name: 'u1' }] })).json();
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'INUSE:1', tag_ids: [group.tags[0].id] })).json();
    const refused = await sq.call('DELETE', `/v1/tags/${group.id}`);
    assert.deepEqual([refused.statusCode, refused.json()], [
      409,
      { code: 'tag_group_conflict', detail: 'Tag group In use has tags assigned to 1 PVs; pass ?force=true' },
    ]);
    assert.equal((await sq.call('DELETE', `/v1/tags/${group.id}?force=true`)).json(), true);
    assert.equal((await sq.call('GET', `/v1/tags/${group.id}`)).statusCode, 404);
    assert.deepEqual((await sq.call('GET', `/v1/pvs/${pv.id}`)).json().tags, []);
  });

  it('§12.58 bulk import creates groups and tags, counts skips with warnings, matches groups case-insensitively, needs write', async () => {
    await sq.call('POST', '/v1/tags', { name: 'Zone', tags: [{ name: 'Z1' }] });
    const res = await sq.call('POST', '/v1/tags/bulk', { groups: { zone: ['z1', 'Z2', 'Z2', ' '], Sector: ['S1', 'S2'] } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      groups_created: 1,
      tags_created: 3,
      tags_skipped: 2,
      warnings: ["Tag 'z1' already exists in group 'Zone'", "Tag 'Z2' already exists in group 'Zone'", "Skipped a blank tag name in group 'Zone'"],
    });
    const zone = (await sq.call('GET', '/v1/tags')).json().find((g: { name: string }) => g.name === 'Zone');
    assert.deepEqual(zone.tags.map((t: { name: string }) => t.name), ['Z1', 'Z2']);
    const readOnly = await sq.keyWith(true, false);
    assert.equal((await sq.call('POST', '/v1/tags/bulk', { groups: {} }, readOnly)).json().code, 'insufficient_write_access');
  });
});
