import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs telemetry frames handled concurrently, answered in order (spec §3.15)', () => {
  let wm: WebmacsHarness;
  let base: string;
  let operator: string;
  let eventId: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    base = (await wm.server.listen()).replace(/^http/, 'ws');
    operator = (await wm.userWithRole('operator')).token;
    eventId = (await wm.request({ method: 'POST', url: '/api/v1/events', token: operator, payload: { name: 'Pipelined', type: 'sensor', unit: 'u', min_value: 0, max_value: 1e6 } })).json().public_id;
  });
  after(() => wm.dispose());

  it('twelve frames sent back to back — large and small, valid and invalid — get their answers in frame order and every point is stored', async () => {
    const socket = new WebSocket(`${base}/ws/controller/telemetry?token=${operator}`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const answers: Array<{ type: string; id: number; accepted?: number }> = [];
    const allAnswered = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        answers.push(JSON.parse(data.toString()) as { type: string; id: number });
        if (answers.length === 12) resolve();
      }),
    );
    let expectedPoints = 0;
    for (let id = 1; id <= 12; id++) {
      // big frames first, so a later small one would finish first if answers were not ordered
      const size = id === 6 ? 0 : id <= 3 ? 500 : 1;
      expectedPoints += size;
      const datapoints = size === 0 ? [{ value: 'x', event_public_id: eventId }] : Array.from({ length: size }, (_, i) => ({ value: id * 1000 + i, event_public_id: eventId }));
      socket.send(JSON.stringify({ id, datapoints }));
    }
    await allAnswered;
    assert.deepEqual(answers.map((a) => a.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(answers[5], { type: 'error', message: 'No valid datapoints in batch', id: 6 });
    assert.deepEqual(answers.filter((a) => a.type === 'ack').map((a) => a.accepted), [500, 500, 500, 1, 1, 1, 1, 1, 1, 1, 1]);
    const stored = (await wm.request({ method: 'GET', url: `/api/v1/datapoints?event_public_id=${eventId}&page_size=1`, token: operator })).json().total;
    assert.equal(stored, expectedPoints);
    socket.close();
  });
});
