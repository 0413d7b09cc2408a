import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

type Point = { value: number; timestamp: string };

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const seconds = (timestamp: string) => Date.parse(timestamp) / 1000;

describe('webmacs valve cycling (spec §4.5, WEBMACS_RULE_EVENT_ID)', () => {
  let setup: WebmacsHarness;
  let wm: WebmacsHarness;
  after(async () => {
    await wm?.dispose();
  });

  it('a pressed cmd_button opens the rule event for cmd_opened s, closes it for cmd_closed s, then releases the button — one cycle at a time', async () => {
    // The rule event's public id must be known before the server starts: create it, then restart on the same data.
    setup = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    const setupAdmin = await setup.adminToken();
    const createEvent = async (harness: WebmacsHarness, token: string, name: string, type: string) => {
      const res = await harness.request({ method: 'POST', url: '/api/v1/events', token, payload: { name, type, unit: 's', min_value: 0, max_value: 100 } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().public_id as string;
    };
    const valve = await createEvent(setup, setupAdmin, 'Valve', 'actuator');
    const button = await createEvent(setup, setupAdmin, 'Start', 'cmd_button');
    const opened = await createEvent(setup, setupAdmin, 'Open for', 'cmd_opened');
    await setup.dispose({ keep: true });

    wm = await startWebmacs({
      reuse: { dataDir: setup.dataDir, schemas: setup.schemas },
      env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_CONTROLLER: 'true', WEBMACS_POLL_INTERVAL: '0.2', WEBMACS_RULE_EVENT_ID: valve },
    });
    await wm.server.listen();
    const admin = await wm.adminToken();
    const post = async (event: string, value: number) => {
      const res = await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: admin, payload: { event_public_id: event, value } });
      assert.equal(res.statusCode, 201, res.body);
    };
    const points = async (event: string): Promise<Point[]> =>
      ((await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${event}&page_size=100`, token: admin })).json().data as Point[]).reverse();

    await post(opened, 0.6);
    await post(button, 1);
    // Without a cmd_closed event the cycle is not configured (upstream): several ticks pass, nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await points(valve), []);

    const closed = await createEvent(wm, admin, 'Closed for', 'cmd_closed');
    await post(closed, 0.4);
    const buttonPoints = await eventually(() => points(button), (list) => list.length === 2);
    assert.deepEqual(buttonPoints.map((p) => p.value), [1, 0], 'the button is released after the cycle');
    const valvePoints = await points(valve);
    assert.deepEqual(valvePoints.map((p) => p.value), [1, 0], 'exactly one open and one close, though ticks kept seeing the pressed button');
    const [open, close] = valvePoints as [Point, Point];
    const release = buttonPoints[1]!;
    assert.ok(seconds(close.timestamp) - seconds(open.timestamp) >= 0.55, `open phase ${seconds(close.timestamp) - seconds(open.timestamp)} s`);
    assert.ok(seconds(release.timestamp) - seconds(close.timestamp) >= 0.35, `closed phase ${seconds(release.timestamp) - seconds(close.timestamp)} s`);

    // A released button starts nothing more.
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal((await points(valve)).length, 2);

    // A zero duration falls back to upstream's 1 s.
    await post(opened, 0);
    await post(button, 1);
    const second = await eventually(() => points(valve), (list) => list.length === 4);
    assert.deepEqual(second.map((p) => p.value), [1, 0, 1, 0]);
    assert.ok(seconds(second[3]!.timestamp) - seconds(second[2]!.timestamp) >= 0.95, 'default open phase of 1 s');
    assert.deepEqual((await eventually(() => points(button), (list) => list.length === 4)).map((p) => p.value), [1, 0, 1, 0]);
  });
});
