import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

describe('webmacs request bodies take numeric strings for numbers (spec §2.3, Pydantic lax mode)', () => {
  let wm: WebmacsHarness;
  let operator: string;
  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    operator = (await wm.userWithRole('operator')).token;
  });
  after(() => wm.dispose());

  const post = (url: string, payload: unknown) => wm.request({ method: 'POST', url, token: operator, payload: payload as object });

  it('an event created with "0" and "100.5" stores the numbers 0 and 100.5', async () => {
    const res = await post('/api/v1/events', { name: 'Lax Temp', type: 'sensor', unit: '°C', min_value: '0', max_value: ' 100.5 ' });
    assert.equal(res.statusCode, 201, res.body);
    const event = (await wm.request({ method: 'GET', url: `/api/v1/events/${res.json().public_id}`, token: operator })).json();
    assert.deepEqual([event.min_value, event.max_value], [0, 100.5]);
  });

  it('datapoints posted with string values are stored as numbers', async () => {
    const eventId = (await post('/api/v1/events', { name: 'Lax Flow', type: 'sensor', unit: 'l', min_value: 0, max_value: 100 })).json().public_id;
    const res = await post('/api/v1/datapoints/batch', { datapoints: [{ value: '21.5', event_public_id: eventId }] });
    assert.equal(res.statusCode, 201, res.body);
    const latest = (await wm.request({ method: 'GET', url: '/api/v1/datapoints/latest', token: operator })).json() as Array<{ event_public_id: string; value: unknown }>;
    assert.equal(latest.find((point) => point.event_public_id === eventId)?.value, 21.5);
  });

  it('integer fields take "6" and "6.0"; "6.5" → 422 int_parsing echoing the string', async () => {
    const dashboard = (await post('/api/v1/dashboards', { name: 'Lax board' })).json().public_id;
    const ok = await post(`/api/v1/dashboards/${dashboard}/widgets`, { widget_type: 'gauge', title: 'G', w: '6', h: '2.0' });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual([ok.json().w, ok.json().h], [6, 2]);
    const bad = await post(`/api/v1/dashboards/${dashboard}/widgets`, { widget_type: 'gauge', title: 'G', w: '6.5' });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().detail, [
      { type: 'int_parsing', loc: ['body', 'w'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: '6.5' },
    ]);
  });

  it('non-numeric and non-finite strings still fail as float_parsing; numbers are never taken for strings', async () => {
    for (const text of ['abc', 'NaN', 'Infinity', '1e999']) {
      const res = await post('/api/v1/events', { name: `Bad ${text}`, type: 'sensor', unit: 'u', min_value: text, max_value: 1 });
      assert.equal(res.statusCode, 422, text);
      assert.deepEqual(res.json().detail, [
        { type: 'float_parsing', loc: ['body', 'min_value'], msg: 'Input should be a valid number, unable to parse string as a number', input: text },
      ]);
    }
    const numericName = await post('/api/v1/events', { name: 123, type: 'sensor', unit: 'u', min_value: 0, max_value: 1 });
    assert.equal(numericName.statusCode, 422);
    assert.equal(numericName.json().detail[0].type, 'string_type');
  });
});
