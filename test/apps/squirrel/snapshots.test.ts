import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EpicsService } from '../../../src/connectors/epics/index.ts';
import { startTestIoc, type TestIoc } from '../../connectors/epics/client-harness.ts';
import { startSquirrel, type SquirrelHarness } from './helpers.ts';

const UNKNOWN_ID = '0195f2c4-7d1e-7a3b-9c41-2f6d0e8a1b01';

interface Job {
  status: string;
  progress: number;
  message: string;
  result_id: string | null;
  data: { result?: Record<string, unknown> };
}

describe('squirrel snapshots, compare and restore against the soft IOC (spec §3.3, §12 items 29–52, 59–60)', () => {
  let ioc: TestIoc;
  let epics: EpicsService;
  let sq: SquirrelHarness;
  const pv: Record<string, string> = {};
  let tagId: string;

  async function waitForJob(id: string, seen: number[] = []): Promise<Job> {
    for (;;) {
      const job = (await sq.call('GET', `/v1/jobs/${id}`)).json() as Job;
      seen.push(job.progress);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function snapshotNow(body: Record<string, unknown> = {}): Promise<{ id: string; pv_count: number }> {
    const res = await sq.call('POST', '/v1/snapshots?async=false&use_cache=false', { title: 'sync', ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  const iocValue = async (name: string) => (await epics.getOne(name)).value;

  before(async () => {
    ioc = await startTestIoc({ pairs: 3 });
    epics = new EpicsService({ context: ioc.context() });
    sq = await startSquirrel({ SQUIRREL_EPICS_CA_CONN_TIMEOUT: '0.5', SQUIRREL_EPICS_CA_TIMEOUT: '2' }, undefined, { epics });
    tagId = (await sq.call('POST', '/v1/tags', { name: 'Area', tags: [{ name: 'T3' }] })).json().tags[0].id;
    const created = (
      await sq.call('POST', '/v1/pvs/multi', [
        { setpoint_address: 'T:1:SP', readback_address: 'T:1:RB', abs_tolerance: 0.5 },
        { setpoint_address: 'T:2:SP', readback_address: 'T:2:RB', rel_tolerance: 0.1 },
        { setpoint_address: 'T:3:SP', tag_ids: [tagId] },
        { setpoint_address: 'T:RO' },
        { setpoint_address: 'T:REJECT' },
        { setpoint_address: 'T:STR', read_only: true },
        { readback_address: 'T:ENUM' },
        { setpoint_address: 'GONE:SP' },
      ])
    ).json() as { id: string; setpoint_address: string | null; readback_address: string }[];
    for (const p of created) pv[p.setpoint_address ?? p.readback_address] = p.id;
  });

  after(async () => {
    await sq.dispose();
    await epics.close();
    await ioc.close();
  });

  it('§12.35 async=false&use_cache=false returns the summary; GET returns values by pv_name with IOC metadata', async () => {
    const summary = await snapshotNow({ title: ' Morning ', comment: 'first shift' });
    assert.deepEqual({ ...summary, id: undefined, created_at: undefined, updated_at: undefined }, {
      id: undefined, title: 'Morning', description: 'first shift', comment: 'first shift', created_by: 'admin',
      created_at: undefined, updated_at: undefined, pv_count: 8, source: 'epics',
    });
    const full = (await sq.call('GET', `/v1/snapshots/${summary.id}`)).json();
    assert.deepEqual(full.values.map((v: { pv_name: string }) => v.pv_name), ['GONE:SP', 'T:1:SP', 'T:2:SP', 'T:3:SP', 'T:ENUM', 'T:REJECT', 'T:RO', 'T:STR']);
    const quad = full.values[1];
    assert.equal(quad.setpoint_value, 0.1);
    assert.deepEqual(
      [quad.setpoint.units, quad.setpoint.precision, quad.setpoint.upper_ctrl_limit, quad.setpoint.lower_ctrl_limit, quad.setpoint.connected],
      ['A', 3, 1000, -1000, true],
    );
    assert.match(quad.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(typeof quad.readback_value, 'number');
    assert.deepEqual([full.values[4].readback_value, full.values[4].readback.enum_strs], [0, ['Off', 'On', 'Standby']]);
  });

  it('§12.34 a PV whose IOC is unreachable is captured as null with connected false', async () => {
    const snapshot = await snapshotNow({ pv_ids: [pv['GONE:SP']] });
    const [value] = (await sq.call('GET', `/v1/snapshots/${snapshot.id}`)).json().values;
    assert.deepEqual([value.setpoint_value, value.setpoint.connected], [null, false]);
  });

  it('§12.29–31 an async create returns {job_id,message}; the job exists at once and completes with rising progress', async () => {
    const res = await sq.call('POST', '/v1/snapshots', { title: 'Async', tag_ids: [tagId] });
    assert.equal(res.statusCode, 200);
    const { job_id, message } = res.json();
    assert.equal(message, "Snapshot creation queued for 'Async' (from cache)");
    assert.equal((await sq.call('GET', `/v1/jobs/${job_id}`)).statusCode, 200);
    const seen: number[] = [];
    const job = await waitForJob(job_id, seen);
    assert.equal(job.status, 'COMPLETED');
    assert.equal(job.progress, 100);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(job.message, 'Snapshot created with 1 PV values');
    assert.deepEqual(job.data.result, { pv_count: 1, cache_hits: 0, direct_reads: 1, null_values: 0 });
    assert.equal((await sq.call('GET', `/v1/snapshots/${job.result_id}`)).json().pv_count, 1);
  });

  it('§12.32 pv_ids, tag_ids and both give exactly those PVs; an unknown id is 404 and creates no job', async () => {
    const names = async (body: Record<string, unknown>) =>
      (await sq.call('GET', `/v1/snapshots/${(await snapshotNow(body)).id}`)).json().values.map((v: { pv_name: string }) => v.pv_name);
    assert.deepEqual(await names({ pv_ids: [pv['T:1:SP'], pv['T:2:SP']] }), ['T:1:SP', 'T:2:SP']);
    assert.deepEqual(await names({ tag_ids: [tagId] }), ['T:3:SP']);
    assert.deepEqual(await names({ pv_ids: [pv['T:1:SP']], tag_ids: [tagId] }), ['T:1:SP', 'T:3:SP']);
    const jobsBefore = (await sq.call('GET', '/v1/jobs')).json().length;
    assert.equal((await sq.call('POST', '/v1/snapshots', { title: 'x', pv_ids: [UNKNOWN_ID] })).json().code, 'pv_not_found');
    assert.equal((await sq.call('POST', '/v1/snapshots', { title: 'x', tag_ids: ['nope'] })).json().code, 'tag_not_found');
    assert.equal((await sq.call('GET', '/v1/jobs')).json().length, jobsBefore);
  });

  it('§12.36 limit/offset window the values and keep the full pv_count; include_values=false leaves them out', async () => {
    const snapshot = await snapshotNow();
    const page = (await sq.call('GET', `/v1/snapshots/${snapshot.id}?limit=2&offset=1`)).json();
    assert.deepEqual([page.values.map((v: { pv_name: string }) => v.pv_name), page.pv_count, page.limit, page.offset], [['T:1:SP', 'T:2:SP'], 8, 2, 1]);
    assert.equal('values' in (await sq.call('GET', `/v1/snapshots/${snapshot.id}?include_values=false`)).json(), false);
  });

  it('§12.37 a missing or 256-character title is 422; comment is taken as description', async () => {
    assert.equal((await sq.call('POST', '/v1/snapshots', {})).statusCode, 422);
    assert.equal((await sq.call('POST', '/v1/snapshots', { title: 'x'.repeat(256) })).statusCode, 422);
    assert.equal((await sq.call('POST', '/v1/snapshots', { title: 'x', description: 'a', comment: 'b' })).statusCode, 422);
  });

  it('§12.38 the list is newest first; title matches case-insensitively; tags filter by PV tags; offset pages', async () => {
    const list = (await sq.call('GET', '/v1/snapshots')).json() as { title: string; created_at: string }[];
    assert.deepEqual(list.map((s) => s.created_at), list.map((s) => s.created_at).sort().reverse());
    assert.deepEqual((await sq.call('GET', '/v1/snapshots?title=morn')).json().map((s: { title: string }) => s.title), ['Morning']);
    const tagged = (await sq.call('GET', `/v1/snapshots?tags=${tagId}`)).json() as unknown[];
    assert.ok(tagged.length >= 3 && tagged.length < list.length);
    assert.deepEqual((await sq.call('GET', '/v1/snapshots?limit=1&offset=1')).json()[0], list[1]);
  });

  it('§12.39 PUT changes title and description; DELETE returns true and GET then gives 404', async () => {
    const snapshot = await snapshotNow({ pv_ids: [] });
    assert.equal(snapshot.pv_count, 0);
    const updated = (await sq.call('PUT', `/v1/snapshots/${snapshot.id}`, { title: 'Renamed', comment: 'note' })).json();
    assert.deepEqual([updated.title, updated.description], ['Renamed', 'note']);
    assert.equal((await sq.call('DELETE', `/v1/snapshots/${snapshot.id}`)).json(), true);
    assert.equal((await sq.call('GET', `/v1/snapshots/${snapshot.id}`)).json().code, 'snapshot_not_found');
    assert.equal((await sq.call('GET', '/v1/snapshots/not-a-uuid')).json().code, 'snapshot_not_found');
  });

  it('§12.47–49 compare: itself matches fully; a change beyond tolerance is listed, one inside is not; ?tolerance overrides', async () => {
    const before = await snapshotNow({ pv_ids: [pv['T:1:SP'], pv['T:2:SP'], pv['T:3:SP']] });
    const self = (await sq.call('GET', `/v1/snapshots/${before.id}/compare/${before.id}`)).json();
    assert.deepEqual([self.different_count, self.match_count, self.total_pvs], [0, 3, 3]);
    ioc.ioc.set('T:1:SP', 0.3); // within abs_tolerance 0.5
    ioc.ioc.set('T:3:SP', 5.3); // no tolerance
    const after = await snapshotNow({ pv_ids: [pv['T:1:SP'], pv['T:2:SP'], pv['T:3:SP']] });
    const comparison = (await sq.call('GET', `/v1/snapshots/${before.id}/compare/${after.id}`)).json();
    assert.deepEqual(comparison.differences.map((d: { pv_name: string }) => d.pv_name), ['T:3:SP']);
    const [d] = comparison.differences;
    assert.deepEqual([d.value1, d.value2, d.only_in, d.within_tolerance], [0.3, 5.3, null, false]);
    assert.ok(Math.abs(d.diff - 5) < 1e-9 && Math.abs(d.diff_percent - (5 / 0.3) * 100) < 1e-6);
    const loose = (await sq.call('GET', `/v1/snapshots/${before.id}/compare/${after.id}?tolerance=10`)).json();
    assert.equal(loose.differences.some((x: { pv_name: string }) => x.pv_name === 'T:3:SP'), false);
    const relative = (await sq.call('GET', `/v1/snapshots/${before.id}/compare/${after.id}?tolerance=10&tolerance_mode=relative`)).json();
    assert.equal(relative.differences.some((x: { pv_name: string }) => x.pv_name === 'T:3:SP'), true);
    assert.equal(relative.tolerance_mode, 'relative');
  });

  it('§12.50 a PV in one snapshot only shows only_in; unknown ids on either side are 404', async () => {
    const one = await snapshotNow({ pv_ids: [pv['T:1:SP']] });
    const two = await snapshotNow({ pv_ids: [pv['T:2:SP']] });
    const comparison = (await sq.call('GET', `/v1/snapshots/${one.id}/compare/${two.id}`)).json();
    assert.deepEqual(comparison.differences.map((d: { pv_name: string; only_in: string }) => [d.pv_name, d.only_in]), [['T:1:SP', 'snapshot1'], ['T:2:SP', 'snapshot2']]);
    assert.equal((await sq.call('GET', `/v1/snapshots/${UNKNOWN_ID}/compare/${two.id}`)).json().code, 'snapshot_not_found');
    assert.equal((await sq.call('GET', `/v1/snapshots/${one.id}/compare/${UNKNOWN_ID}`)).json().code, 'snapshot_not_found');
  });

  it('§12.41–43 a synchronous restore writes setpoints, skips read-only, null and setpoint-less PVs, and reports per-PV failures', async () => {
    ioc.ioc.set('T:1:SP', 1.5);
    const saved = await snapshotNow();
    ioc.ioc.set('T:1:SP', 99);
    ioc.ioc.set('T:2:SP', 98);
    const result = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore?async=false`)).json();
    assert.deepEqual([result.total_pvs, result.success_count, result.failure_count, result.skipped_count], [5, 3, 2, 3]);
    assert.deepEqual(result.failures.map((f: { pv_name: string }) => f.pv_name).sort(), ['T:REJECT', 'T:RO']);
    assert.deepEqual(result.skipped.map((s: { pv_name: string; reason: string }) => [s.pv_name, s.reason]), [['GONE:SP', 'null_value'], ['T:ENUM', 'no_setpoint'], ['T:STR', 'read_only']]);
    assert.deepEqual([await iocValue('T:1:SP'), await iocValue('T:2:SP')], [1.5, 0.2]);
    ioc.ioc.set('T:1:SP', 7);
    ioc.ioc.set('T:2:SP', 7);
    const only = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore?async=false`, { pvIds: [pv['T:1:SP']] })).json();
    assert.equal(only.total_pvs, 1);
    assert.deepEqual([await iocValue('T:1:SP'), await iocValue('T:2:SP')], [1.5, 7]);
    const none = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore?async=false`, { pv_ids: [] })).json();
    assert.deepEqual([none.total_pvs, none.skipped_count], [0, 0]);
  });

  it('§12.44 an async restore completes with data.result and the "Restored x/N PVs (k failed)" message', async () => {
    const saved = await snapshotNow({ pv_ids: [pv['T:2:SP'], pv['T:RO']] });
    const { job_id, message } = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore`)).json();
    assert.equal(message, 'Restore queued for 2 PVs');
    const job = await waitForJob(job_id);
    assert.deepEqual([job.status, job.message, job.result_id], ['COMPLETED', 'Restored 1/2 PVs (1 failed)', saved.id]);
    assert.deepEqual([job.data.result?.success_count, job.data.result?.failure_count], [1, 1]);
    const restores = (await sq.call('GET', '/v1/jobs?type=RESTORE_SNAPSHOT')).json() as { type: string }[];
    assert.ok(restores.length >= 1 && restores.every((j) => j.type === 'RESTORE_SNAPSHOT'));
  });

  it('an async restore announces exactly the writes its job makes, whatever the body selects (spec §3.3, D34)', async () => {
    const saved = await snapshotNow();
    const selections = [undefined, { pv_ids: [pv['T:1:SP'], pv['T:RO']] }, { pv_ids: [] }, { tag_ids: [tagId] }, { pv_ids: [pv['T:2:SP']], tag_ids: [tagId] }, { pvIds: [pv['T:STR']] }];
    const announced: number[] = [];
    const written: number[] = [];
    for (const body of selections) {
      const { job_id, message } = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore`, body)).json();
      announced.push(Number(/^Restore queued for (\d+) PVs$/.exec(message)?.[1]));
      written.push(((await waitForJob(job_id)).data.result as { total_pvs: number }).total_pvs);
    }
    assert.deepEqual(announced, written);
    assert.deepEqual(announced, [5, 2, 0, 1, 2, 0]);
  });

  it('a queued restore whose snapshot was deleted meanwhile fails at once with "LookupError: Snapshot deleted" (spec §3.3, §3.5)', async () => {
    const saved = await snapshotNow({ pv_ids: [pv['T:2:SP']] });
    assert.equal((await sq.call('DELETE', `/v1/snapshots/${saved.id}`)).statusCode, 200);
    // Enqueued as the route would have before the delete: the job finds the snapshot gone.
    const jobs = sq.test.server.context('squirrel').jobs;
    const queued = await jobs.enqueue('RESTORE_SNAPSHOT', { snapshot_id: saved.id });
    const job = (await waitForJob(queued.id)) as Job & { error: string; attempts: number };
    assert.deepEqual([job.status, job.message, job.error, job.attempts], ['FAILED', 'Job failed', 'LookupError: Snapshot deleted', 1]);
  });

  it('a queued restore selecting a tag deleted meanwhile fails naming the tag, not the snapshot', async () => {
    const saved = await snapshotNow({ pv_ids: [pv['T:2:SP']] });
    const missingTag = '01a20000-0000-7000-8000-000000000000';
    const jobs = sq.test.server.context('squirrel').jobs;
    const queued = await jobs.enqueue('RESTORE_SNAPSHOT', { snapshot_id: saved.id, tag_ids: [missingTag] });
    const job = (await waitForJob(queued.id)) as Job & { error: string };
    assert.equal(job.status, 'FAILED');
    assert.equal(job.error, `PermanentJobError: Tag(s) not found: ${missingTag}`);
  });

  it('§12.46 dry_run writes nothing and reports within_tolerance per abs and rel tolerance', async () => {
    ioc.ioc.set('T:1:SP', 1);
    ioc.ioc.set('T:2:SP', 1);
    const saved = await snapshotNow({ pv_ids: [pv['T:1:SP'], pv['T:2:SP']] });
    ioc.ioc.set('T:1:SP', 1.4); // inside abs 0.5
    ioc.ioc.set('T:2:SP', 1.2); // outside rel 0.1
    const preview = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore?dry_run=true&live_source=epics`)).json();
    assert.deepEqual(preview.items.map((i: { pv_name: string; within_tolerance: boolean; live_value: number }) => [i.pv_name, i.within_tolerance, i.live_value]), [
      ['T:1:SP', true, 1.4],
      ['T:2:SP', false, 1.2],
    ]);
    assert.deepEqual([preview.would_write, preview.within_tolerance, preview.out_of_tolerance, preview.dry_run], [2, 1, 1, true]);
    assert.deepEqual([await iocValue('T:1:SP'), await iocValue('T:2:SP')], [1.4, 1.2]);
  });

  it('§12.51 compare/live compares with current values; a disconnected PV differs with value2 null', async () => {
    ioc.ioc.set('T:3:SP', 2);
    const saved = await snapshotNow({ pv_ids: [pv['T:3:SP'], pv['GONE:SP']] });
    ioc.ioc.set('T:3:SP', 3);
    const live = (await sq.call('GET', `/v1/snapshots/${saved.id}/compare/live?live_source=epics`)).json();
    assert.equal(live.snapshot2_id, 'live');
    assert.deepEqual(live.differences.map((d: { pv_name: string; value1: unknown; value2: unknown }) => [d.pv_name, d.value1, d.value2]), [['T:3:SP', 2, 3]]);
    ioc.ioc.set('T:3:SP', 2);
    const gone = await snapshotNow({ pv_ids: [pv['T:3:SP']] });
    const again = (await sq.call('GET', `/v1/snapshots/${gone.id}/compare/live?live_source=epics`)).json();
    assert.equal(again.different_count, 0);
  });

  it('§12.40 deleting a PV keeps its values (pv_id null) and compare still matches them by pv_name', async () => {
    const extra = (await sq.call('POST', '/v1/pvs', { setpoint_address: 'T:3:RB' })).json();
    const saved = await snapshotNow({ pv_ids: [extra.id] });
    await sq.call('DELETE', `/v1/pvs/${extra.id}`);
    const [value] = (await sq.call('GET', `/v1/snapshots/${saved.id}`)).json().values;
    assert.deepEqual([value.pv_id, value.pv_name], [null, 'T:3:RB']);
    const self = (await sq.call('GET', `/v1/snapshots/${saved.id}/compare/${saved.id}`)).json();
    assert.deepEqual([self.match_count, self.different_count], [1, 0]);
    const restored = (await sq.call('POST', `/v1/snapshots/${saved.id}/restore?async=false`)).json();
    assert.deepEqual(restored.skipped.map((s: { reason: string }) => s.reason), ['pv_deleted']);
  });

  it('§12.52 the CSV export has the header, one RFC 4180 row per value and Content-Disposition', async () => {
    const saved = await snapshotNow({ title: 'CSV, "quoted"', pv_ids: [pv['T:3:SP'], pv['T:ENUM']] });
    const res = await sq.call('GET', `/v1/snapshots/${saved.id}/export?format=csv`);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="snapshot-csv-quoted-\d{8}-\d{6}\.csv"$/);
    const lines = res.body.trimEnd().split('\r\n');
    assert.equal(lines[0], 'pv_name,setpoint_address,readback_address,setpoint_value,readback_value,status,severity,timestamp,units,read_only,abs_tolerance,rel_tolerance,tags');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^T:3:SP,T:3:SP,,2,,0,0,[^,]+,A,false,0,0,Area\/T3$/);
    assert.equal((await sq.call('GET', `/v1/snapshots/${saved.id}/export?format=xml`)).statusCode, 422);
  });

  it('§12.59–60 an unknown job is 404 job_not_found; cancelling a finished job returns it unchanged', async () => {
    assert.deepEqual((await sq.call('GET', `/v1/jobs/${UNKNOWN_ID}`)).json(), { code: 'job_not_found', detail: `Job ${UNKNOWN_ID} not found` });
    assert.equal((await sq.call('GET', '/v1/jobs/nope')).json().code, 'job_not_found');
    const { job_id } = (await sq.call('POST', '/v1/snapshots', { title: 'to cancel', pv_ids: [] })).json();
    const done = await waitForJob(job_id);
    const cancelled = (await sq.call('POST', `/v1/jobs/${job_id}/cancel`)).json();
    assert.deepEqual([cancelled.status, cancelled.progress], [done.status, done.progress]);
  });
});
