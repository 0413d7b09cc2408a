import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs datapoints and series (spec §3.7)', () => {
  let wm: WebmacsHarness;
  let operator: string;
  let viewer: string;
  let temp: string;
  let pressure: string;

  const post = (url: string, payload: object, headers: Record<string, string> = {}) => wm.request({ method: 'POST', url, token: operator, payload, headers });
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
    const event = (name: string) => post('/api/v1/events', { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 1000 }).then((r) => r.json().public_id as string);
    temp = await event('Temp');
    pressure = await event('Pressure');
  });
  after(() => wm.dispose());

  it('§12.37 §12.38 single POST (link not required here) → 201 with dp_ id; unknown event → 404 Event not found.', async () => {
    const res = await post('/api/v1/datapoints', { value: 42.5, event_public_id: temp });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().message, '1 datapoint successfully created.');
    assert.match(res.json().public_id, /^dp_[0-9a-z]+$/);
    const unknown = await post('/api/v1/datapoints', { value: 1, event_public_id: 'evt_000000000000000000000000' });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { detail: 'Event not found.' });
  });

  it('§12.39 batch of 500 → 201; 501 → 422 too_long; empty → 201 with 0', async () => {
    const full = await post('/api/v1/datapoints/batch', { datapoints: Array.from({ length: 500 }, (_, i) => ({ value: i, event_public_id: pressure })) });
    assert.equal(full.statusCode, 201);
    assert.deepEqual(full.json(), { status: 'success', message: '500 datapoints successfully created.', accepted: 500, rejected: 0, rejected_events: [] });
    const tooMany = await post('/api/v1/datapoints/batch', { datapoints: Array.from({ length: 501 }, () => ({ value: 1, event_public_id: pressure })) });
    assert.equal(tooMany.statusCode, 422);
    assert.equal(tooMany.json().detail[0].type, 'too_long');
    const empty = await post('/api/v1/datapoints/batch', { datapoints: [] });
    assert.equal(empty.statusCode, 201);
    assert.equal(empty.json().message, '0 datapoints successfully created.');
  });

  it('§12.40 a batch with unknown events stores only the known ones and reports the rest', async () => {
    const unknown = 'evt_zzzzzzzzzzzzzzzzzzzzzzzz';
    const res = await post('/api/v1/datapoints/batch', {
      datapoints: [
        { value: 1, event_public_id: temp },
        { value: 2, event_public_id: unknown },
        { value: 3, event_public_id: unknown },
      ],
    });
    assert.deepEqual(res.json(), { status: 'success', message: '1 datapoints successfully created.', accepted: 1, rejected: 2, rejected_events: [unknown] });
  });

  it('§12.41 untimed points of one batch share one timestamp; /latest returns the batch’s last element', async () => {
    const batch = await post('/api/v1/datapoints/batch', { datapoints: [1, 2, 3].map((value) => ({ value: value + 100, event_public_id: temp })) });
    assert.equal(batch.statusCode, 201);
    const page = (await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${temp}&page_size=3`, token: viewer })).json();
    assert.equal(new Set(page.data.map((p: { timestamp: string }) => p.timestamp)).size, 1);
    const latest = (await wm.request({ method: 'GET', url: `/api/v1/datapoints/latest?event_public_ids=${temp}`, token: viewer })).json();
    assert.equal(latest.length, 1);
    assert.equal(latest[0].value, 103);
  });

  it('§12.42 client timestamps are stored as given; 6 min ahead → 422; past ones sort correctly', async () => {
    const given = '2025-01-15T14:30:00.123456Z';
    const res = await post('/api/v1/datapoints', { value: 7, event_public_id: pressure, timestamp: given });
    const stored = (await wm.request({ method: 'GET', url: `/api/v1/datapoints/${res.json().public_id}`, token: viewer })).json();
    assert.equal(stored.timestamp, given);
    const future = await post('/api/v1/datapoints', { value: 7, event_public_id: pressure, timestamp: new Date(Date.now() + 360_000).toISOString() });
    assert.equal(future.statusCode, 422);
    assert.deepEqual(future.json().detail[0].loc, ['body', 'timestamp']);
    const junk = await post('/api/v1/datapoints/batch', { datapoints: [{ value: 1, event_public_id: pressure, timestamp: 'yesterday' }] });
    assert.equal(junk.statusCode, 422);
    assert.deepEqual(junk.json().detail[0].loc, ['body', 'datapoints', 0, 'timestamp']);
  });

  it('§12.43 the same Idempotency-Key replays the stored reply and stores once; another body → 422', async () => {
    const body = { datapoints: [{ value: 1, event_public_id: pressure, timestamp: '2024-01-01T00:00:00Z' }] };
    const first = await post('/api/v1/datapoints/batch', body, { 'idempotency-key': 'k-1' });
    const second = await post('/api/v1/datapoints/batch', body, { 'idempotency-key': 'k-1' });
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    assert.equal(second.statusCode, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body, first.body);
    const stored = (await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${pressure}&page_size=100&page=6`, token: viewer })).json();
    assert.equal(stored.data.filter((p: { timestamp: string }) => p.timestamp === '2024-01-01T00:00:00Z').length, 1);
    const other = await post('/api/v1/datapoints/batch', { datapoints: [{ value: 2, event_public_id: pressure }] }, { 'idempotency-key': 'k-1' });
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().detail[0].msg, 'Value error, Idempotency-Key reused with a different request body.');
  });

  it('§12.44 list is newest first with filters; GET/DELETE by id; bad id → 404', async () => {
    const list = (await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${pressure}&page_size=100`, token: viewer })).json();
    const stamps = list.data.map((p: { timestamp: string }) => Date.parse(p.timestamp));
    assert.deepEqual(stamps, [...stamps].sort((a, b) => b - a));
    assert.ok(list.data.every((p: { event_public_id: string }) => p.event_public_id === pressure));
    const id = list.data[0].public_id;
    assert.equal((await wm.request({ method: 'DELETE', url: `/api/v1/datapoints/${id}`, token: viewer })).statusCode, 403);
    const deleted = await wm.request({ method: 'DELETE', url: `/api/v1/datapoints/${id}`, token: operator });
    assert.deepEqual(deleted.json(), { status: 'success', message: 'Datapoint successfully deleted.' });
    const gone = await wm.request({ method: 'GET', url: `/api/v1/datapoints/${id}`, token: viewer });
    assert.deepEqual(gone.json(), { detail: `Datapoint '${id}' not found.` });
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/datapoints/dp_!!', token: viewer })).statusCode, 404);
  });

  it('§12.45 /latest returns one row per event with data, ties broken by the larger id', async () => {
    const at = iso(-60_000);
    await post('/api/v1/datapoints/batch', { datapoints: [{ value: 1, event_public_id: pressure, timestamp: at }, { value: 2, event_public_id: pressure, timestamp: at }] });
    const latest = (await wm.request({ method: 'GET', url: '/api/v1/datapoints/latest', token: viewer })).json();
    assert.deepEqual(latest.map((p: { event_public_id: string }) => p.event_public_id), [temp, pressure]);
    assert.equal(latest[1].value, 2);
  });

  it('/latest?event_public_ids= keeps only the named events that have data; unknown ids are ignored', async () => {
    const latest = async (ids: string) =>
      (await wm.request({ method: 'GET', url: `/api/v1/datapoints/latest?event_public_ids=${ids}`, token: viewer })).json().map((p: { event_public_id: string; value: number }) => [p.event_public_id, p.value]);
    const unknown = 'evt_xxxxxxxxxxxxxxxxxxxxxxxx';
    assert.deepEqual(await latest(`${pressure},${unknown}`), [[pressure, 2]]);
    assert.deepEqual(await latest(`${pressure},${temp}`), await latest(`${temp},${pressure}`));
    assert.deepEqual(await latest(unknown), []);
  });

  it('§12.46 series: one key per distinct id, unknown → [], only the window, ascending', async () => {
    await post('/api/v1/datapoints/batch', {
      datapoints: [
        { value: 10, event_public_id: temp, timestamp: iso(30_000) },
        { value: 11, event_public_id: temp, timestamp: iso(90_000) },
        { value: 12, event_public_id: temp, timestamp: iso(2 * 3_600_000) },
      ],
    });
    const unknown = 'evt_yyyyyyyyyyyyyyyyyyyyyyyy';
    const res = await post('/api/v1/datapoints/series', { event_public_ids: [temp, temp, unknown], minutes: 60 });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), [temp, unknown].sort());
    assert.deepEqual(body[unknown], []);
    const stamps = body[temp].map((p: { timestamp: string }) => Date.parse(p.timestamp));
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b));
    assert.ok(!body[temp].some((p: { value: number }) => p.value === 12));
    assert.ok(body[temp].some((p: { value: number }) => p.value === 11));
  });

  it('§12.47 series with more points than max_points strides to exactly max_points ending at the latest', async () => {
    const flow = (await post('/api/v1/events', { name: 'Flow', type: 'sensor', unit: 'u', min_value: 0, max_value: 1000 })).json().public_id;
    const base = Date.now() - 600_000;
    const points = Array.from({ length: 100 }, (_, i) => ({ value: i, event_public_id: flow, timestamp: new Date(base + i * 1000).toISOString() }));
    await post('/api/v1/datapoints/batch', { datapoints: points });
    const res = (await post('/api/v1/datapoints/series', { event_public_ids: [flow], minutes: 11, max_points: 10 })).json()[flow];
    // p[floor(i·100/10)] for i < 9, then the latest
    assert.deepEqual(res.map((p: { value: number }) => p.value), [0, 10, 20, 30, 40, 50, 60, 70, 80, 99]);
    for (const method of ['lttb', 'minmax']) {
      const other = (await post('/api/v1/datapoints/series', { event_public_ids: [flow], minutes: 11, max_points: 10, method })).json()[flow];
      assert.ok(other.length <= 10 && other.length > 2, method);
      assert.equal(other.at(-1).value, 99);
    }
  });

  it('batches of any size store their points in input order, and the ids ingestion hands on are the stored ones', async () => {
    const level = (await post('/api/v1/events', { name: 'Level', type: 'sensor', unit: 'u', min_value: 0, max_value: 1000 })).json().public_id;
    const series = async (minutes: number) => (await post('/api/v1/datapoints/series', { event_public_ids: [level], minutes, max_points: 2000 })).json()[level];
    assert.deepEqual(await series(60), []); // the series cache now holds the event, so later batches are appended to it
    // sizes that take one statement, several statements of decreasing size, and more than one 500-row chunk
    const sizes = [1, 3, 499, 500, 1];
    let next = 0;
    for (const size of sizes) {
      const datapoints = Array.from({ length: size }, () => ({ value: next++, event_public_id: level }));
      // a batch is at most 500 points; the last size goes through the single POST
      const res = size === 1 ? await post('/api/v1/datapoints', datapoints[0]!) : await post('/api/v1/datapoints/batch', { datapoints });
      assert.equal(res.statusCode, 201);
    }
    const cached = await series(60);
    // a window longer than the cache's is answered by the database
    const stored = await series(1441);
    assert.deepEqual(cached, stored);
    assert.deepEqual(stored.map((p: { value: number }) => p.value), Array.from({ length: next }, (_, i) => i));
    const ids = stored.map((p: { public_id: string }) => parseInt(p.public_id.slice(3), 36));
    assert.ok(ids.every((id: number, i: number) => i === 0 || id > ids[i - 1]!));
  });

  it('§12.49 series bounds: max_points 9/2001, minutes 0/14401, 21 ids, method avg → 422', async () => {
    const bad = [
      { event_public_ids: [temp], max_points: 9 },
      { event_public_ids: [temp], max_points: 2001 },
      { event_public_ids: [temp], minutes: 0 },
      { event_public_ids: [temp], minutes: 14401 },
      { event_public_ids: Array.from({ length: 21 }, () => temp) },
      { event_public_ids: [temp], method: 'avg' },
    ];
    for (const payload of bad) assert.equal((await post('/api/v1/datapoints/series', payload)).statusCode, 422, JSON.stringify(payload));
  });
});
