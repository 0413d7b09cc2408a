import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { newPublicId } from '../../../src/apps/webmacs/ids.ts';
import { ISO_Z, PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs dashboards and widgets (spec §3.9)', () => {
  let wm: WebmacsHarness;
  let owner: { token: string; publicId: string };
  let other: { token: string; publicId: string };
  let viewer: { token: string; publicId: string };
  let admin: string;
  let eventId: string;
  const db = () => wm.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;

  // Events belong to another resource; a row is enough for widgets to link to.
  async function insertEvent(name: string): Promise<string> {
    const publicId = newPublicId('evt');
    const user = await db().selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirstOrThrow();
    await db()
      .insertInto('events')
      .values({ public_id: publicId, name, min_value: 0, max_value: 100, unit: '°C', type: 'sensor', user_id: user.id, created_on: Date.now() * 1000 })
      .execute();
    return publicId;
  }

  async function dashboard(token: string, payload: object): Promise<string> {
    const res = await wm.request({ method: 'POST', url: '/api/v1/dashboards', token, payload });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().public_id;
  }

  before(async () => {
    wm = await startWebmacs();
    admin = await wm.adminToken();
    owner = await wm.userWithRole('operator', 'owner');
    other = await wm.userWithRole('operator', 'other');
    viewer = await wm.userWithRole('viewer', 'watcher');
    eventId = await insertEvent('Inlet Temperature');
  });
  after(() => wm.dispose());

  it('§12.51 an operator creates a dashboard → 201 object with widgets: []; a viewer → 403', async () => {
    const res = await wm.request({ method: 'POST', url: '/api/v1/dashboards', token: owner.token, payload: { name: 'Reactor', extra: 'ignored' } });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.match(body.public_id, PUBLIC_ID('dsh'));
    assert.deepEqual({ ...body, public_id: 'x', created_on: 'x' }, {
      public_id: 'x',
      name: 'Reactor',
      is_global: false,
      created_on: 'x',
      user_public_id: owner.publicId,
      widgets: [],
    });
    assert.match(body.created_on, ISO_Z);
    const denied = await wm.request({ method: 'POST', url: '/api/v1/dashboards', token: viewer.token, payload: { name: 'nope' } });
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(denied.json(), { detail: 'Operator privileges required.' });
  });

  it('§12.51 the list shows own and global dashboards only, newest first', async () => {
    const mine = await dashboard(owner.token, { name: 'own private' });
    const theirs = await dashboard(other.token, { name: 'their private' });
    const shared = await dashboard(other.token, { name: 'their global', is_global: true });
    const list = (await wm.request({ method: 'GET', url: '/api/v1/dashboards?page_size=100', token: owner.token })).json();
    const ids = list.data.map((d: { public_id: string }) => d.public_id);
    assert.ok(ids.includes(mine) && ids.includes(shared));
    assert.ok(!ids.includes(theirs));
    assert.equal(list.total, ids.length);
    assert.ok(ids.indexOf(shared) < ids.indexOf(mine), 'newest first');
  });

  it('§12.52 GET of another user\'s private dashboard → 403 Not allowed. even for admins; global ones are readable by all', async () => {
    const hidden = await dashboard(owner.token, { name: 'hidden' });
    for (const token of [other.token, admin, viewer.token]) {
      const res = await wm.request({ method: 'GET', url: `/api/v1/dashboards/${hidden}`, token });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), { detail: 'Not allowed.' });
    }
    const shared = await dashboard(owner.token, { name: 'shared view', is_global: true });
    assert.equal((await wm.request({ method: 'GET', url: `/api/v1/dashboards/${shared}`, token: viewer.token })).statusCode, 200);
    const missing = await wm.request({ method: 'GET', url: '/api/v1/dashboards/dsh_000000000000000000000000', token: viewer.token });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: "Dashboard 'dsh_000000000000000000000000' not found." });
  });

  it('§12.53 only the owner may update or delete a dashboard or its widgets (admins included in the refusal)', async () => {
    const shared = await dashboard(owner.token, { name: 'owned', is_global: true });
    const widget = (await wm.request({ method: 'POST', url: `/api/v1/dashboards/${shared}/widgets`, token: owner.token, payload: { widget_type: 'gauge', title: 'g' } })).json();
    for (const token of [other.token, admin]) {
      const attempts = [
        { method: 'PUT' as const, url: `/api/v1/dashboards/${shared}`, payload: { name: 'hijack' } },
        { method: 'DELETE' as const, url: `/api/v1/dashboards/${shared}` },
        { method: 'POST' as const, url: `/api/v1/dashboards/${shared}/widgets`, payload: { widget_type: 'gauge', title: 't' } },
        { method: 'PUT' as const, url: `/api/v1/dashboards/${shared}/widgets/${widget.public_id}`, payload: { title: 'x' } },
        { method: 'DELETE' as const, url: `/api/v1/dashboards/${shared}/widgets/${widget.public_id}` },
      ];
      for (const attempt of attempts) {
        const res = await wm.request({ ...attempt, token });
        assert.equal(res.statusCode, 403, `${attempt.method} ${attempt.url}`);
        assert.deepEqual(res.json(), { detail: 'Not allowed.' });
      }
    }
    const renamed = await wm.request({ method: 'PUT', url: `/api/v1/dashboards/${shared}`, token: owner.token, payload: { name: 'renamed', is_global: false } });
    assert.deepEqual(renamed.json(), { status: 'success', message: 'Dashboard successfully updated.' });
    const after = (await wm.request({ method: 'GET', url: `/api/v1/dashboards/${shared}`, token: owner.token })).json();
    assert.equal(after.name, 'renamed');
    assert.equal(after.is_global, false);
    const deleted = await wm.request({ method: 'DELETE', url: `/api/v1/dashboards/${shared}`, token: owner.token });
    assert.deepEqual(deleted.json(), { status: 'success', message: 'Dashboard successfully deleted.' });
    assert.equal((await db().selectFrom('dashboard_widgets').select('id').where('public_id', '=', widget.public_id).execute()).length, 0);
  });

  it('§12.54 widget create → 201 with defaults w=4 h=3 x=0 y=0', async () => {
    const dsh = await dashboard(owner.token, { name: 'widgets' });
    const res = await wm.request({
      method: 'POST',
      url: `/api/v1/dashboards/${dsh}/widgets`,
      token: owner.token,
      payload: { widget_type: 'line_chart', title: 'Inlet Temperature', event_public_id: eventId },
    });
    assert.equal(res.statusCode, 201);
    const widget = res.json();
    assert.match(widget.public_id, PUBLIC_ID('wgt'));
    assert.deepEqual({ ...widget, public_id: 'x' }, {
      public_id: 'x',
      widget_type: 'line_chart',
      title: 'Inlet Temperature',
      event_public_id: eventId,
      x: 0,
      y: 0,
      w: 4,
      h: 3,
      config_json: null,
    });
    const shown = (await wm.request({ method: 'GET', url: `/api/v1/dashboards/${dsh}`, token: owner.token })).json();
    assert.deepEqual(shown.widgets, [widget]);
  });

  it('§12.54 w of 0 or 13 → 422; unknown event → 404 Event not found.; empty title → 422; bad type → 422', async () => {
    const dsh = await dashboard(owner.token, { name: 'bad widgets' });
    const url = `/api/v1/dashboards/${dsh}/widgets`;
    for (const w of [0, 13]) {
      const res = await wm.request({ method: 'POST', url, token: owner.token, payload: { widget_type: 'gauge', title: 't', w } });
      assert.equal(res.statusCode, 422);
      assert.equal(res.json().detail[0].type, w === 0 ? 'greater_than_equal' : 'less_than_equal');
      assert.deepEqual(res.json().detail[0].loc, ['body', 'w']);
    }
    const unknown = await wm.request({ method: 'POST', url, token: owner.token, payload: { widget_type: 'gauge', title: 't', event_public_id: 'evt_nope' } });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { detail: 'Event not found.' });
    const empty = await wm.request({ method: 'POST', url, token: owner.token, payload: { widget_type: 'gauge', title: '' } });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().detail[0].loc, ['body', 'title']);
    const kind = await wm.request({ method: 'POST', url, token: owner.token, payload: { widget_type: 'pie', title: 't' } });
    assert.equal(kind.json().detail[0].type, 'enum');
    const noDash = await wm.request({ method: 'POST', url: '/api/v1/dashboards/dsh_000000000000000000000000/widgets', token: owner.token, payload: { widget_type: 'gauge', title: 't' } });
    assert.equal(noDash.statusCode, 404);
  });

  it('§12.55 widget PUT with event_public_id null clears the link; a widget of another dashboard → 404 Widget not on this dashboard.', async () => {
    const first = await dashboard(owner.token, { name: 'first' });
    const second = await dashboard(owner.token, { name: 'second' });
    const widget = (await wm.request({
      method: 'POST',
      url: `/api/v1/dashboards/${first}/widgets`,
      token: owner.token,
      payload: { widget_type: 'stat_card', title: 'temp', event_public_id: eventId, config_json: '{"color":"red"}' },
    })).json();
    const moved = await wm.request({ method: 'PUT', url: `/api/v1/dashboards/${first}/widgets/${widget.public_id}`, token: owner.token, payload: { x: 2, w: 12 } });
    assert.deepEqual(moved.json(), { status: 'success', message: 'Widget successfully updated.' });
    let shown = (await wm.request({ method: 'GET', url: `/api/v1/dashboards/${first}`, token: owner.token })).json().widgets[0];
    assert.equal(shown.event_public_id, eventId, 'an absent event_public_id leaves the link');
    assert.equal(shown.x, 2);
    assert.equal(shown.config_json, '{"color":"red"}');
    await wm.request({ method: 'PUT', url: `/api/v1/dashboards/${first}/widgets/${widget.public_id}`, token: owner.token, payload: { event_public_id: null } });
    shown = (await wm.request({ method: 'GET', url: `/api/v1/dashboards/${first}`, token: owner.token })).json().widgets[0];
    assert.equal(shown.event_public_id, null);

    const elsewhere = await wm.request({ method: 'PUT', url: `/api/v1/dashboards/${second}/widgets/${widget.public_id}`, token: owner.token, payload: { title: 'x' } });
    assert.equal(elsewhere.statusCode, 404);
    assert.deepEqual(elsewhere.json(), { detail: 'Widget not on this dashboard.' });
    const missing = await wm.request({ method: 'DELETE', url: `/api/v1/dashboards/${first}/widgets/wgt_000000000000000000000000`, token: owner.token });
    assert.deepEqual(missing.json(), { detail: "DashboardWidget 'wgt_000000000000000000000000' not found." });
    const badEvent = await wm.request({ method: 'PUT', url: `/api/v1/dashboards/${first}/widgets/${widget.public_id}`, token: owner.token, payload: { event_public_id: 'evt_gone' } });
    assert.deepEqual(badEvent.json(), { detail: 'Event not found.' });
    const removed = await wm.request({ method: 'DELETE', url: `/api/v1/dashboards/${first}/widgets/${widget.public_id}`, token: owner.token });
    assert.deepEqual(removed.json(), { status: 'success', message: 'Widget successfully deleted.' });
  });
});
