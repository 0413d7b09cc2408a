import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

/** Every REST endpoint of spec §3, with `{…}` for any path parameter. */
const SPEC_ENDPOINTS = `
POST /api/v1/auth/login
POST /api/v1/auth/logout
GET /api/v1/auth/me
PUT /api/v1/auth/me/password
GET /api/v1/auth/sso/config
GET /api/v1/auth/sso/authorize
GET /api/v1/auth/sso/callback
POST /api/v1/auth/sso/exchange
GET /api/v1/tokens
POST /api/v1/tokens
DELETE /api/v1/tokens/{}
GET /api/v1/users
POST /api/v1/users
GET /api/v1/users/{}
PUT /api/v1/users/{}
DELETE /api/v1/users/{}
GET /api/v1/events
POST /api/v1/events
GET /api/v1/events/{}
PUT /api/v1/events/{}
DELETE /api/v1/events/{}
GET /api/v1/experiments
POST /api/v1/experiments
GET /api/v1/experiments/{}
PUT /api/v1/experiments/{}
DELETE /api/v1/experiments/{}
PUT /api/v1/experiments/{}/stop
GET /api/v1/experiments/{}/export/csv
GET /api/v1/datapoints
POST /api/v1/datapoints
POST /api/v1/datapoints/batch
POST /api/v1/datapoints/series
GET /api/v1/datapoints/latest
GET /api/v1/datapoints/{}
DELETE /api/v1/datapoints/{}
GET /api/v1/logging
POST /api/v1/logging
PUT /api/v1/logging/{}
GET /api/v1/dashboards
POST /api/v1/dashboards
GET /api/v1/dashboards/{}
PUT /api/v1/dashboards/{}
DELETE /api/v1/dashboards/{}
POST /api/v1/dashboards/{}/widgets
PUT /api/v1/dashboards/{}/widgets/{}
DELETE /api/v1/dashboards/{}/widgets/{}
GET /api/v1/webhooks
POST /api/v1/webhooks
GET /api/v1/webhooks/{}
PUT /api/v1/webhooks/{}
DELETE /api/v1/webhooks/{}
GET /api/v1/webhooks/{}/deliveries
POST /api/v1/webhooks/{}/deliveries/{}/redeliver
GET /api/v1/rules
POST /api/v1/rules
GET /api/v1/rules/{}
PUT /api/v1/rules/{}
DELETE /api/v1/rules/{}
GET /api/v1/ota
POST /api/v1/ota
GET /api/v1/ota/{}
DELETE /api/v1/ota/{}
POST /api/v1/ota/{}/apply
POST /api/v1/ota/{}/rollback
GET /api/v1/ota/check
POST /api/v1/ota/upload
GET /api/v1/plugins/available
GET /api/v1/plugins
POST /api/v1/plugins
GET /api/v1/plugins/{}
PUT /api/v1/plugins/{}
DELETE /api/v1/plugins/{}
GET /api/v1/plugins/{}/channels
POST /api/v1/plugins/{}/channels
PUT /api/v1/plugins/{}/channels/{}
DELETE /api/v1/plugins/{}/channels/{}
GET /api/v1/plugins/packages
POST /api/v1/plugins/packages/upload
DELETE /api/v1/plugins/packages/{}
GET /health
`
  .trim()
  .split('\n');

const anyParam = (path: string) => path.replace(/\{[^}]*\}/g, '{}');

describe('webmacs OpenAPI document (spec §2.1, §12 item 10)', () => {
  let wm: WebmacsHarness;
  let document: { openapi: string; paths: Record<string, Record<string, unknown>> };
  before(async () => {
    wm = await startWebmacs();
    const res = await wm.request({ method: 'GET', url: '/openapi/webmacs.json' });
    assert.equal(res.statusCode, 200);
    document = res.json();
  });
  after(() => wm.dispose());

  it('§12.10 /openapi/webmacs.json lists every REST endpoint of §3', () => {
    const listed = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) listed.add(`${method.toUpperCase()} ${anyParam(path)}`);
    }
    assert.deepEqual(
      SPEC_ENDPOINTS.filter((endpoint) => !listed.has(endpoint)),
      [],
    );
  });

  it('§12.10 the document validates as OpenAPI 3', async () => {
    // TypeBox writes JSON Schema 2020-12 (`type: "null"` in nullable fields), which OpenAPI 3.1 adopted.
    assert.equal(document.openapi, '3.1.0');
    await SwaggerParser.validate(structuredClone(document) as OpenAPI.Document);
  });

  it('CORS preflight twins stay out of the document', () => {
    const options = Object.entries(document.paths).filter(([, operations]) => 'options' in operations);
    assert.deepEqual(options, []);
  });
});
