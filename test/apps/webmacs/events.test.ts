import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

const inlet = { name: 'Inlet Temperature', type: 'sensor', unit: '°C', min_value: 0, max_value: 200 };

describe('webmacs events (spec §3.5)', () => {
  let wm: WebmacsHarness;
  let operator: string;
  let viewer: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
  });
  after(() => wm.dispose());

  it('§12.27 create → 201 with public_id; the event reads back with its owner', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, extra: 'ignored' } });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.equal(body.status, 'success');
    assert.equal(body.message, 'Event successfully created.');
    assert.match(body.public_id, PUBLIC_ID('evt'));
    const got = await wm.request({ method: 'GET', url: `/api/v1/events/${body.public_id}`, token: viewer });
    assert.equal(got.statusCode, 200);
    const event = got.json();
    assert.deepEqual({ ...event, user_public_id: undefined }, { public_id: body.public_id, ...inlet, user_public_id: undefined });
    assert.match(event.user_public_id, PUBLIC_ID('usr'));
  });

  it('§12.27 duplicate name → 409 Event already exists.', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Dup' } });
    assert.equal(res.statusCode, 201);
    const again = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Dup' } });
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json(), { detail: 'Event already exists.' });
  });

  it('§12.27 min_value > max_value → 422 value_error; type foo → 422; viewer → 403', async () => {
    const inverted = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Inv', min_value: 5, max_value: 1 } });
    assert.equal(inverted.statusCode, 422);
    assert.equal(inverted.json().detail[0].type, 'value_error');
    const badType = await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Foo', type: 'foo' } });
    assert.equal(badType.statusCode, 422);
    assert.deepEqual(badType.json().detail[0].loc, ['body', 'type']);
    const forbidden = await wm.request({ method: 'POST', url: '/api/v1/events', token: viewer, payload: { ...inlet, name: 'V' } });
    assert.equal(forbidden.statusCode, 403);
    assert.deepEqual(forbidden.json(), { detail: 'Operator privileges required.' });
  });

  it('update re-checks the merged range and renames; unknown ids → 404', async () => {
    const { public_id: id } = (await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Upd' } })).json();
    const bad = await wm.request({ method: 'PUT', url: `/api/v1/events/${id}`, token: operator, payload: { min_value: 500 } });
    assert.equal(bad.statusCode, 422);
    const ok = await wm.request({ method: 'PUT', url: `/api/v1/events/${id}`, token: operator, payload: { name: 'Renamed', max_value: 300 } });
    assert.deepEqual(ok.json(), { status: 'success', message: 'Event successfully updated.' });
    const got = (await wm.request({ method: 'GET', url: `/api/v1/events/${id}`, token: viewer })).json();
    assert.equal(got.name, 'Renamed');
    assert.equal(got.max_value, 300);
    const missing = await wm.request({ method: 'GET', url: '/api/v1/events/evt_000000000000000000000000', token: viewer });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: "Event 'evt_000000000000000000000000' not found." });
    const garbage = await wm.request({ method: 'DELETE', url: '/api/v1/events/nope', token: operator });
    assert.equal(garbage.statusCode, 404);
  });

  it('lists in creation order as a page', async () => {
    const res = await wm.request({ method: 'GET', url: '/api/v1/events?page=1&page_size=2', token: viewer });
    const body = res.json();
    assert.equal(body.page, 1);
    assert.equal(body.page_size, 2);
    assert.ok(body.total >= 3);
    assert.deepEqual(body.data.map((e: { name: string }) => e.name), ['Inlet Temperature', 'Dup']);
    const past = (await wm.request({ method: 'GET', url: '/api/v1/events?page=99', token: viewer })).json();
    assert.deepEqual(past.data, []);
    assert.equal(past.total, body.total);
  });

  it('§12.28 delete removes datapoints and rules and unlinks widgets and channel mappings', async () => {
    const admin = await wm.adminToken();
    const { public_id: id } = (await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Cascade' } })).json();
    const plugin = (await wm.request({ method: 'POST', url: '/api/v1/plugins', token: admin, payload: { plugin_id: 'custom', instance_name: 'Cascade rig' } })).json().public_id;
    const mapping = (
      await wm.request({ method: 'POST', url: `/api/v1/plugins/${plugin}/channels`, token: admin, payload: { channel_id: 'c', channel_name: 'C', direction: 'input', unit: 'u', event_public_id: id } })
    ).json().public_id;
    const point = (await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: operator, payload: { value: 1, event_public_id: id } })).json().public_id;
    const rule = (await wm.request({ method: 'POST', url: '/api/v1/rules', token: admin, payload: { name: 'Cascade rule', event_public_id: id, operator: 'gt', threshold: 1, action_type: 'log' } })).json().public_id;
    const dashboard = (await wm.request({ method: 'POST', url: '/api/v1/dashboards', token: operator, payload: { name: 'Cascade board' } })).json().public_id;
    const widget = (
      await wm.request({ method: 'POST', url: `/api/v1/dashboards/${dashboard}/widgets`, token: operator, payload: { widget_type: 'gauge', title: 'T', event_public_id: id } })
    ).json().public_id;

    assert.equal((await wm.request({ method: 'DELETE', url: `/api/v1/events/${id}`, token: operator })).statusCode, 200);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/datapoints/${point}`, token: viewer })).statusCode, 404);
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/rules/${rule}`, token: admin })).statusCode, 404);
    const board = (await wm.request({ method: 'GET', url: `/api/v1/dashboards/${dashboard}`, token: operator })).json();
    assert.deepEqual(board.widgets.map((w: { public_id: string; event_public_id: string | null }) => [w.public_id, w.event_public_id]), [[widget, null]]);
    const channels = (await wm.request({ method: 'GET', url: `/api/v1/plugins/${plugin}/channels`, token: viewer })).json();
    assert.deepEqual(channels.map((m: { public_id: string; event_public_id: string | null }) => [m.public_id, m.event_public_id]), [[mapping, null]]);
  });

  it('delete → 200, then 404', async () => {
    const { public_id: id } = (await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { ...inlet, name: 'Del' } })).json();
    const res = await wm.request({ method: 'DELETE', url: `/api/v1/events/${id}`, token: operator });
    assert.deepEqual(res.json(), { status: 'success', message: 'Event successfully deleted.' });
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/events/${id}`, token: viewer })).statusCode, 404);
  });
});
