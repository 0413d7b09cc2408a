import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

/** the value of an unlabelled counter in the Prometheus text exposition */
function counter(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

describe('webmacs sensor.reading backlog cap (spec §4.4, WEBMACS_WEBHOOK_MAX_PENDING)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  const events: string[] = [];

  before(async () => {
    // No workers: deliveries stay pending, as behind a receiver that does not answer.
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false', WEBMACS_WEBHOOK_MAX_PENDING: '2', WEBMACS_SENSOR_WEBHOOK_INTERVAL_S: '0' } });
    admin = await wm.adminToken();
    for (const name of ['Cap A', 'Cap B', 'Cap C', 'Cap D']) {
      events.push((await wm.request({ method: 'POST', url: '/api/v1/events', token: admin, payload: { name, type: 'sensor', unit: 'u', min_value: 0, max_value: 10 } })).json().public_id);
    }
  });
  after(() => wm.dispose());

  const deliveries = async (webhookId: string) =>
    (await wm.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries?page_size=100`, token: admin })).json() as { total: number; data: Array<{ event_type: string; status: string }> };
  const metrics = async () => (await wm.request({ method: 'GET', url: '/metrics' })).body;
  /** fan-out runs after the response; wait for the log to settle at the expected size */
  async function settled(webhookId: string, total: number) {
    const deadline = Date.now() + 10_000;
    let page = await deliveries(webhookId);
    while (page.total < total && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await deliveries(webhookId);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    return deliveries(webhookId);
  }

  it('skips sensor.reading deliveries while a webhook holds the maximum waiting, counts them, and never skips other event types', async () => {
    const capped = (await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url: 'https://example.org/capped', events: ['sensor.reading', 'experiment.started'] } })).json().public_id;
    const droppedBefore = counter(await metrics(), 'webmacs_webhook_dropped_total');
    assert.equal(droppedBefore, 0);

    for (const event of events) {
      const res = await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: admin, payload: { value: 1, event_public_id: event } });
      assert.equal(res.statusCode, 201);
    }
    const readings = await settled(capped, 2);
    assert.equal(readings.total, 2, 'two readings queued, the rest skipped');
    assert.deepEqual(readings.data.map((d) => [d.event_type, d.status]), [
      ['sensor.reading', 'pending'],
      ['sensor.reading', 'pending'],
    ]);
    assert.equal(counter(await metrics(), 'webmacs_webhook_dropped_total'), 2);

    await wm.request({ method: 'POST', url: '/api/v1/experiments', token: admin, payload: { name: 'Not capped' } });
    const withExperiment = await settled(capped, 3);
    assert.equal(withExperiment.total, 3, 'an experiment event is queued past the cap');
    assert.equal(withExperiment.data.filter((d) => d.event_type === 'experiment.started').length, 1);
  });

  it('the cap is per webhook: a second webhook still gets readings', async () => {
    const fresh = (await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url: 'https://example.org/fresh', events: ['sensor.reading'] } })).json().public_id;
    await wm.request({ method: 'POST', url: '/api/v1/datapoints', token: admin, payload: { value: 2, event_public_id: events[0] } });
    assert.equal((await settled(fresh, 1)).total, 1);
  });
});
