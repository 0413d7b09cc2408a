import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

/** The value of one exposed sample, or undefined when the series is absent. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('webmacs metrics (spec §4.1 step 6, §4.3)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let eventId: string;

  const metrics = async () => (await wm.request({ method: 'GET', url: '/metrics' })).body;
  const post = (url: string, payload: object) => wm.request({ method: 'POST', url, token: admin, payload });

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    admin = await wm.adminToken();
    eventId = (await post('/api/v1/events', { name: 'Metered', type: 'sensor', unit: 'V', min_value: 0, max_value: 10 })).json().public_id;
  });
  after(() => wm.dispose());

  it('every webmacs_* metric the spec names is exposed from the start', async () => {
    const body = await metrics();
    for (const name of [
      'webmacs_datapoints_ingested_total',
      'webmacs_datapoints_rejected_total',
      'webmacs_ingest_batch_seconds',
      'webmacs_rule_triggers_total',
      'webmacs_webhook_dropped_total',
      'webmacs_actuator_writes_total',
    ]) {
      assert.match(body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  it('ingested rows count by source, dropped items by reason, and each batch is timed', async () => {
    const before = await metrics();
    const batches = sample(before, 'webmacs_ingest_batch_seconds_count') ?? 0;
    const res = await post('/api/v1/datapoints/batch', {
      datapoints: [
        { value: 1, event_public_id: eventId },
        { value: 2, event_public_id: eventId },
        { value: 3, event_public_id: 'evt_000000000000000000000000' },
      ],
    });
    assert.equal(res.statusCode, 201);
    assert.equal((await post('/api/v1/datapoints', { value: 4, event_public_id: eventId })).statusCode, 201);
    const body = await metrics();
    assert.equal(sample(body, 'webmacs_datapoints_ingested_total{source="rest"}'), (sample(before, 'webmacs_datapoints_ingested_total{source="rest"}') ?? 0) + 3);
    assert.equal(sample(body, 'webmacs_datapoints_rejected_total{reason="unknown_event"}'), (sample(before, 'webmacs_datapoints_rejected_total{reason="unknown_event"}') ?? 0) + 1);
    assert.equal(sample(body, 'webmacs_ingest_batch_seconds_count'), batches + 2);
  });

  it('a batch whose items are all rejected stores nothing and counts no ingested rows', async () => {
    const before = sample(await metrics(), 'webmacs_datapoints_ingested_total{source="rest"}') ?? 0;
    const res = await post('/api/v1/datapoints/batch', { datapoints: [{ value: 1, event_public_id: 'evt_111111111111111111111111' }] });
    assert.equal(res.json().accepted, 0);
    assert.equal(sample(await metrics(), 'webmacs_datapoints_ingested_total{source="rest"}') ?? 0, before);
  });

  it('every point of a write refused with 422 counts as rejected (invalid); a refusal for other reasons does not', async () => {
    const invalid = 'webmacs_datapoints_rejected_total{reason="invalid"}';
    const before = sample(await metrics(), invalid) ?? 0;
    const oneBadTimestamp = {
      datapoints: [
        { value: 1, event_public_id: eventId },
        { value: 2, event_public_id: eventId, timestamp: 'yesterday' },
        { value: 3, event_public_id: eventId },
      ],
    };
    assert.equal((await post('/api/v1/datapoints/batch', oneBadTimestamp)).statusCode, 422);
    assert.equal(sample(await metrics(), invalid), before + 3);
    const tooLong = { datapoints: Array.from({ length: 501 }, () => ({ value: 1, event_public_id: eventId })) };
    assert.equal((await post('/api/v1/datapoints/batch', tooLong)).statusCode, 422);
    assert.equal(sample(await metrics(), invalid), before + 504);
    assert.equal((await post('/api/v1/datapoints', { value: 'NaN', event_public_id: eventId })).statusCode, 422);
    assert.equal(sample(await metrics(), invalid), before + 505);
    const unauthenticated = await wm.request({ method: 'POST', url: '/api/v1/datapoints/batch', payload: oneBadTimestamp });
    assert.equal(unauthenticated.statusCode, 401);
    assert.equal(sample(await metrics(), invalid), before + 505);
  });

  it('a fired rule counts once per trigger by action; a rule inside its cooldown does not count', async () => {
    await post('/api/v1/rules', { name: 'Metered high', event_public_id: eventId, operator: 'gt', threshold: 5, action_type: 'log', cooldown_seconds: 3600 });
    await post('/api/v1/datapoints/batch', { datapoints: [{ value: 9, event_public_id: eventId }] });
    await post('/api/v1/datapoints/batch', { datapoints: [{ value: 9.5, event_public_id: eventId }] });
    await post('/api/v1/datapoints/batch', { datapoints: [{ value: 1, event_public_id: eventId }] });
    const body = await metrics();
    assert.equal(sample(body, 'webmacs_rule_triggers_total{action="log"}'), 1);
    assert.equal(sample(body, 'webmacs_rule_triggers_total{action="webhook"}'), undefined);
  });
});
