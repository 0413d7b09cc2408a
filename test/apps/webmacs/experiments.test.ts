import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ISO_Z, PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs experiments and CSV export (spec §3.6)', () => {
  let wm: WebmacsHarness;
  let operator: string;
  let viewer: string;
  let eventId: string;

  const post = (url: string, payload: object, token = operator) => wm.request({ method: 'POST', url, token, payload });

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
    eventId = (await post('/api/v1/events', { name: 'Temp, "inlet"', type: 'sensor', unit: '°C', min_value: 0, max_value: 100 })).json().public_id;
  });
  after(() => wm.dispose());

  async function logContents(): Promise<string[]> {
    const res = await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100', token: viewer });
    return res.json().data.map((entry: { content: string }) => entry.content);
  }

  it('§12.29 create starts it: started_on set, stopped_on null, LogEntry written', async () => {
    const res = await post('/api/v1/experiments', { name: 'Run 1' });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().message, 'Experiment successfully created.');
    assert.match(res.json().public_id, PUBLIC_ID('exp'));
    const got = (await wm.request({ method: 'GET', url: `/api/v1/experiments/${res.json().public_id}`, token: viewer })).json();
    assert.equal(got.name, 'Run 1');
    assert.match(got.started_on, ISO_Z);
    assert.equal(got.stopped_on, null);
    assert.ok((await logContents()).includes("Experiment 'Run 1' started."));
  });

  it('§12.30 duplicate name → 409 Experiment already exists.; viewer → 403', async () => {
    await post('/api/v1/experiments', { name: 'Dup run' });
    const again = await post('/api/v1/experiments', { name: 'Dup run' });
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json(), { detail: 'Experiment already exists.' });
    assert.equal((await post('/api/v1/experiments', { name: 'Nope' }, viewer)).statusCode, 403);
  });

  it('§12.31 stop sets stopped_on and logs once; a second stop changes nothing', async () => {
    const id = (await post('/api/v1/experiments', { name: 'Stop me' })).json().public_id;
    const first = await wm.request({ method: 'PUT', url: `/api/v1/experiments/${id}/stop`, token: operator });
    assert.deepEqual(first.json(), { status: 'success', message: 'Experiment successfully stopped.' });
    const stoppedOn = (await wm.request({ method: 'GET', url: `/api/v1/experiments/${id}`, token: viewer })).json().stopped_on;
    assert.match(stoppedOn, ISO_Z);
    const second = await wm.request({ method: 'PUT', url: `/api/v1/experiments/${id}/stop`, token: operator });
    assert.equal(second.statusCode, 200);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/experiments/${id}`, token: viewer })).json().stopped_on, stoppedOn);
    assert.equal((await logContents()).filter((c) => c === "Experiment 'Stop me' stopped.").length, 1);
  });

  it('§12.32 with two running experiments new datapoints carry the newer one', async () => {
    await post('/api/v1/experiments', { name: 'Older' });
    const newer = (await post('/api/v1/experiments', { name: 'Newer' })).json().public_id;
    const created = await post('/api/v1/datapoints', { value: 1, event_public_id: eventId });
    assert.equal(created.statusCode, 201);
    const point = (await wm.request({ method: 'GET', url: `/api/v1/datapoints/${created.json().public_id}`, token: viewer })).json();
    assert.equal(point.experiment_public_id, newer);
  });

  it('§12.33 §12.34 CSV: exact header, CRLF, Python floats, ascending time, parsed by Python csv', async () => {
    const id = (await post('/api/v1/experiments', { name: 'CSV run/1' })).json().public_id;
    const points = [
      { value: 20, timestamp: '2025-01-15T14:30:02Z' },
      { value: 42.5, timestamp: '2025-01-15T14:30:00.123456Z' },
      { value: 0.00001, timestamp: '2025-01-15T14:30:01+00:00' },
    ];
    const batch = await post('/api/v1/datapoints/batch', { datapoints: points.map((p) => ({ ...p, event_public_id: eventId })) });
    assert.equal(batch.statusCode, 201);
    const res = await wm.request({ method: 'GET', url: `/api/v1/experiments/${id}/export/csv`, token: viewer });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    const idPart = id.slice(4, 12);
    assert.equal(res.headers['content-disposition'], `attachment; filename="experiment_CSV_run-1_${idPart}.csv"; filename*=UTF-8''experiment_CSV_run-1_${idPart}.csv`);
    const lines = res.body.split('\r\n');
    assert.equal(lines[0], 'timestamp,event_name,event_public_id,value,unit,datapoint_public_id');
    assert.equal(lines.at(-1), '', 'the last row ends in CRLF too');
    assert.deepEqual(
      lines.slice(1, -1).map((line: string) => line.split(',')[0]),
      ['2025-01-15T14:30:00.123456+00:00', '2025-01-15T14:30:01+00:00', '2025-01-15T14:30:02+00:00'],
    );
    const parsed = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', 'import csv,io,json,sys\nprint(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline="")))))'], { input: res.body }).toString(),
    ) as string[][];
    assert.equal(parsed.length, 4);
    assert.deepEqual(parsed.slice(1).map((row) => [row[1], row[2], row[3], row[4]]), [
      ['Temp, "inlet"', eventId, '42.5', '°C'],
      ['Temp, "inlet"', eventId, '1e-05', '°C'],
      ['Temp, "inlet"', eventId, '20.0', '°C'],
    ]);
    for (const row of parsed.slice(1)) assert.match(row[5]!, /^dp_[0-9a-z]+$/);
  });

  it('§12.35 CSV of an experiment without data is the header only; unknown id → 404', async () => {
    const id = (await post('/api/v1/experiments', { name: 'Empty run' })).json().public_id;
    await wm.request({ method: 'PUT', url: `/api/v1/experiments/${id}/stop`, token: operator });
    const res = await wm.request({ method: 'GET', url: `/api/v1/experiments/${id}/export/csv`, token: viewer });
    assert.equal(res.body, 'timestamp,event_name,event_public_id,value,unit,datapoint_public_id\r\n');
    const missing = await wm.request({ method: 'GET', url: '/api/v1/experiments/exp_000000000000000000000000/export/csv', token: viewer });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: "Experiment 'exp_000000000000000000000000' not found." });
  });

  it('rename, list in creation order, delete removes it and its datapoints', async () => {
    const id = (await post('/api/v1/experiments', { name: 'To delete' })).json().public_id;
    const point = (await post('/api/v1/datapoints', { value: 3, event_public_id: eventId })).json().public_id;
    const renamed = await wm.request({ method: 'PUT', url: `/api/v1/experiments/${id}`, token: operator, payload: { name: 'Deleted soon' } });
    assert.deepEqual(renamed.json(), { status: 'success', message: 'Experiment successfully updated.' });
    const list = (await wm.request({ method: 'GET', url: '/api/v1/experiments?page_size=100', token: viewer })).json();
    assert.equal(list.data[0].name, 'Run 1');
    assert.equal(list.data.at(-1).name, 'Deleted soon');
    const deleted = await wm.request({ method: 'DELETE', url: `/api/v1/experiments/${id}`, token: operator });
    assert.deepEqual(deleted.json(), { status: 'success', message: 'Experiment successfully deleted.' });
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/datapoints/${point}`, token: viewer })).statusCode, 404);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/experiments/${id}`, token: viewer })).statusCode, 404);
  });
});
