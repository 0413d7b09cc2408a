import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { testRedisUrl } from '../../helpers/db.ts';
import { startWebmacs } from './helpers.ts';

describe('webmacs across instances (spec §4.9)', () => {
  it('§12.123 a batch posted to instance A reaches a stream socket on instance B', { skip: !testRedisUrl && 'needs REDIS_URL (the Postgres + Redis pass)' }, async () => {
    const a = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    const b = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' }, reuse: { dataDir: a.dataDir, schemas: a.schemas } });
    try {
      const token = await a.adminToken();
      const eventId = (await a.request({ method: 'POST', url: '/api/v1/events', token, payload: { name: 'Shared', type: 'sensor', unit: 'u', min_value: 0, max_value: 9 } })).json().public_id;
      const socket = new WebSocket(`${(await b.server.listen()).replace(/^http/, 'ws')}/ws/datapoints/stream?token=${token}`);
      const batch = new Promise<Record<string, unknown>>((resolve) =>
        socket.on('message', (data) => {
          const message = JSON.parse(data.toString());
          if (message.type === 'datapoints_batch') resolve(message);
        }),
      );
      await new Promise((resolve) => socket.once('message', resolve));
      const posted = await a.request({ method: 'POST', url: '/api/v1/datapoints', token, payload: { value: 4.5, event_public_id: eventId } });
      const received = await batch;
      assert.deepEqual((received.datapoints as Array<{ public_id: string; value: number }>).map((p) => [p.public_id, p.value]), [[posted.json().public_id, 4.5]]);
      socket.close();
    } finally {
      await b.dispose({ keep: true });
      await a.dispose();
    }
  });
});
