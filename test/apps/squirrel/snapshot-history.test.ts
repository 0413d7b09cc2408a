import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { migrateToLatest } from '../../../src/core/db/index.ts';
import { squirrelMigrations } from '../../../src/apps/squirrel/db/migrations/index.ts';
import type { SquirrelDb } from '../../../src/apps/squirrel/db/schema.ts';
import { createSnapshotRepo } from '../../../src/apps/squirrel/snapshots/repo.ts';
import { decodeSide } from '../../../src/apps/squirrel/snapshots/storedSide.ts';
import { openTestDatabase } from '../../helpers/db.ts';
import type { Kysely } from 'kysely';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

interface Tag {
  id: string;
  name: string;
  group_name: string;
}

interface SnapshotValue {
  pv_id: string | null;
  pv_name: string;
  setpoint_name: string | null;
  readback_name: string | null;
  setpoint_value: unknown;
  read_only: boolean;
  abs_tolerance: number;
  rel_tolerance: number;
  tags: Tag[];
}

describe('squirrel snapshot values are self-contained records (spec §10 "Snapshot values survive PV deletion", §7, D13)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;
  let areaId: string;
  let systemId: string;
  const tagIds: Record<string, string> = {};
  const pvIds: Record<string, string> = {};

  const snapshotValues = async (id: string): Promise<Map<string, SnapshotValue>> => {
    const res = await sq.call('GET', `/v1/snapshots/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    return new Map((res.json().values as SnapshotValue[]).map((v) => [v.pv_name, v]));
  };

  const takeSnapshot = async (body: Record<string, unknown> = {}): Promise<string> => {
    const res = await sq.call('POST', '/v1/snapshots?async=false&use_cache=false', { title: 'history', ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().id;
  };

  before(async () => {
    ioc = await startTestIoc({ pairs: 3 });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel({ SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5', SQUIRREL_EPICS_CA_TIMEOUT: '2' }, undefined, { epics });
    const area = (await sq.call('POST', '/v1/tags', { name: 'Area', tags: [{ name: 'LI21' }, { name: 'LI22' }] })).json();
    areaId = area.id;
    for (const tag of area.tags as Tag[]) tagIds[tag.name] = tag.id;
    const system = (await sq.call('POST', '/v1/tags', { name: 'System', tags: [{ name: 'Magnets' }] })).json();
    systemId = system.id;
    tagIds.Magnets = system.tags[0].id;
    const created = await sq.call('POST', '/v1/pvs/multi', [
      { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB', abs_tolerance: 0.5, rel_tolerance: 0.25, read_only: true, tag_ids: [tagIds.LI21, tagIds.LI22, tagIds.Magnets] },
      { setpoint_address: 'T:2:SP', readback_address: 'T:2:RB', tag_ids: [tagIds.LI22] },
      { setpoint_address: 'T:3:SP' },
    ]);
    assert.equal(created.statusCode, 200, created.body);
    for (const pv of created.json() as { id: string; setpoint_address: string }[]) pvIds[pv.setpoint_address] = pv.id;
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('a deleted PV keeps its name, addresses, value, flags, tolerances and the tags it had at capture time, even once a tag is deleted', async () => {
    const snapshotId = await takeSnapshot();
    const before = (await snapshotValues(snapshotId)).get('T:1:SP')!;
    assert.deepEqual(
      before.tags.map((t) => `${t.group_name}/${t.name}`),
      ['Area/LI21', 'Area/LI22', 'System/Magnets'],
    );
    assert.equal(typeof before.setpoint_value, 'number');

    assert.equal((await sq.call('DELETE', `/v1/pvs/${pvIds['T:1:SP']}`)).statusCode, 200);
    assert.equal((await sq.call('DELETE', `/v1/tags/${areaId}/tags/${tagIds.LI22}`)).statusCode, 200);
    assert.equal((await sq.call('DELETE', `/v1/tags/${systemId}?force=true`)).statusCode, 200);

    const after = (await snapshotValues(snapshotId)).get('T:1:SP')!;
    assert.deepEqual(after, { ...before, pv_id: null });
    assert.deepEqual(
      { pv_name: after.pv_name, setpoint_name: after.setpoint_name, readback_name: after.readback_name, read_only: after.read_only, abs_tolerance: after.abs_tolerance, rel_tolerance: after.rel_tolerance },
      { pv_name: 'T:1:SP', setpoint_name: 'T:1:SP', readback_name: 'T:1:RB', read_only: true, abs_tolerance: 0.5, rel_tolerance: 0.25 },
    );
  });

  it('a PV that still exists shows its current tags; once deleted, the tags it had at capture time', async () => {
    const addTag = async (name: string): Promise<Tag> =>
      ((await sq.call('POST', `/v1/tags/${areaId}/tags`, { name })).json().group.tags as Tag[]).find((t) => t.name === name)!;
    const li23 = await addTag('LI23');
    assert.equal((await sq.call('PUT', `/v1/pvs/${pvIds['T:2:SP']}`, { tag_ids: [li23.id] })).statusCode, 200);
    const snapshotId = await takeSnapshot({ pv_ids: [pvIds['T:2:SP'], pvIds['T:3:SP']] });

    const lj01 = await addTag('LJ01');
    await sq.call('PUT', `/v1/pvs/${pvIds['T:2:SP']}`, { tag_ids: [lj01.id] });
    const current = (await snapshotValues(snapshotId)).get('T:2:SP')!;
    assert.deepEqual([current.pv_id, current.tags], [pvIds['T:2:SP'], [{ id: lj01.id, name: 'LJ01', group_name: 'Area' }]]);

    assert.equal((await sq.call('DELETE', `/v1/pvs/${pvIds['T:2:SP']}`)).statusCode, 200);
    assert.equal((await sq.call('DELETE', `/v1/pvs/${pvIds['T:3:SP']}`)).statusCode, 200);
    const afterDelete = await snapshotValues(snapshotId);
    assert.deepEqual(afterDelete.get('T:2:SP')!.tags, [{ id: li23.id, name: 'LI23', group_name: 'Area' }]);
    assert.deepEqual(afterDelete.get('T:3:SP')!.tags, []);
    assert.deepEqual([...afterDelete.values()].map((v) => v.pv_id), [null, null]);
  });

  it('a restore of a snapshot whose PVs were deleted skips them as pv_deleted and writes nothing', async () => {
    const pv = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'T:3:SP' })).json();
    const snapshotId = await takeSnapshot({ pv_ids: [pv.id] });
    await sq.call('DELETE', `/v1/pvs/${pv.id}`);
    const res = await sq.call('POST', `/v1/snapshots/${snapshotId}/restore?async=false`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([res.json().total_pvs, res.json().skipped.map((s: { reason: string }) => s.reason)], [0, ['pv_deleted']]);
  });
});

describe('squirrel snapshot_value rebuild (migration 20261122_1700, spec §7)', () => {
  const LEAN = '20261122_1700_snapshot_value_lean';

  it('keeps every stored value in capture order, stores its sides as arrays, and a PV deleted afterwards reads as pv_id null with no row rewritten', async () => {
    const test = await openTestDatabase('squirrel');
    try {
      const upTo = (last: string) => Object.fromEntries(Object.entries(squirrelMigrations).filter(([name]) => name <= last));
      await migrateToLatest(test.database, { name: 'squirrel', migrations: upTo('20261122_1416_snapshot_value_tags') });
      // the schema before the rebuild: no table type in SquirrelDb describes it any more
      const db = test.database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const pv = (id: string, address: string) => ({ id, setpoint_address: address, search_text: address.toLowerCase(), read_only: false, created_at: 1, updated_at: 1 });
      await db.insertInto('pv').values([pv('p1', 'M:1:SP'), pv('p2', 'M:2:SP')]).execute();
      const snapshot = (id: string, created_at: number) => ({ id, title: id, title_key: id, pv_count: 2, source: 'cache', created_at, updated_at: created_at });
      await db.insertInto('snapshot').values([snapshot('s1', 1), snapshot('s2', 2)]).execute();
      const side = (value: unknown) => ({
        value, status: 3, severity: 1, timestamp: '2026-01-15T10:29:59.998123Z', units: 'k"G', precision: 3, upper_ctrl_limit: 100, lower_ctrl_limit: -100, connected: true,
      });
      const value = (snapshot_id: string, seq: number, pv_id: string | null, pv_name: string) => ({
        snapshot_id, seq, pv_id, pv_name, setpoint_name: pv_name, setpoint_value: JSON.stringify(side(seq)), read_only: false, abs_tolerance: 0, rel_tolerance: 0,
      });
      const enumSide = { value: 1, status: 0, severity: 0, timestamp: null, units: null, precision: null, upper_ctrl_limit: null, lower_ctrl_limit: null, enum_strs: ['Off', 'On'], connected: true };
      const disconnected = { value: null, status: 0, severity: 0, timestamp: null, units: null, precision: null, upper_ctrl_limit: null, lower_ctrl_limit: null, connected: false };
      // inserted out of capture order, with a value whose PV was deleted before the rebuild
      await db
        .insertInto('snapshot_value')
        .values([
          { ...value('s2', 1, 'p2', 'M:2:SP'), readback_value: JSON.stringify(enumSide) },
          { ...value('s1', 1, null, 'M:0:SP'), setpoint_value: JSON.stringify(disconnected) },
          { ...value('s2', 0, 'p1', 'M:1:SP'), setpoint_value: JSON.stringify(disconnected) },
          value('s1', 0, 'p1', 'M:1:SP'),
        ])
        .execute();

      const result = await migrateToLatest(test.database, { name: 'squirrel', migrations: upTo(LEAN) });
      assert.deepEqual(result.results?.map((r) => [r.migrationName, r.status]), [[LEAN, 'Success']]);
      const rows = await test.database.db.selectFrom('snapshot_value').select(['seq', 'snapshot_id', 'pv_id', 'setpoint_value', 'readback_value']).orderBy('seq').execute();
      assert.deepEqual(
        rows.map((r) => [r.snapshot_id, r.pv_id, decodeSide(r.setpoint_value), decodeSide(r.readback_value)]),
        [['s1', 'p1', side(0), null], ['s1', null, disconnected, null], ['s2', 'p1', disconnected, null], ['s2', 'p2', side(1), enumSide]],
      );
      assert.ok(rows.every((r) => Array.isArray(JSON.parse(r.setpoint_value!))));
      // a converted side without a value is not written by a restore
      assert.equal(await createSnapshotRepo(test.database.db as Kysely<SquirrelDb>).countWritable('s2', {}), 1);

      const squirrelDb = test.database.db as Kysely<SquirrelDb>;
      await squirrelDb.deleteFrom('pv').where('id', '=', 'p1').execute();
      assert.equal((await squirrelDb.selectFrom('snapshot_value').select('pv_id').where('pv_id', '=', 'p1').execute()).length, 2);
      assert.deepEqual((await createSnapshotRepo(squirrelDb).values('s2')).map((v) => [v.pv_name, v.pv_id]), [['M:1:SP', null], ['M:2:SP', 'p2']]);
    } finally {
      await test.dispose();
    }
  });
});
