import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { startChildServer } from './child-process.ts';
import { startWebmacs } from './helpers.ts';

const ENV = { WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true' };

describe('webmacs webhook delivery across a crash (spec §4.4, §8)', () => {
  it('an attempt cut short by killing the server is counted, and the delivery still waits for its retry', async () => {
    // a receiver that reads the request and never answers: the attempt is in flight when the server dies
    const requests: string[] = [];
    const silent = net.createServer((socket) => socket.on('data', (chunk: Buffer) => requests.push(chunk.toString())));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const setup = await startWebmacs({ env: ENV });
    const token = await setup.adminToken();
    const webhook = await setup.request({
      method: 'POST',
      url: '/api/v1/webhooks',
      token,
      payload: { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`, events: ['experiment.started'] },
    });
    const webhookId = webhook.json().public_id as string;
    await setup.dispose({ keep: true });

    const child = await startChildServer(setup, ENV);
    const started = await fetch(`${child.url}/api/v1/experiments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Cut short' }),
    });
    assert.equal(started.status, 201);
    for (const deadline = Date.now() + 30_000; !requests.join('').includes('experiment.started'); ) {
      assert.ok(Date.now() < deadline, 'the delivery reached the receiver');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await child.kill();

    const restarted = await startWebmacs({ env: ENV, reuse: setup });
    try {
      const page = await restarted.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries`, token });
      const [delivery] = page.json().data as Array<{ status: string; attempts: number }>;
      assert.equal(page.json().total, 1);
      // still waiting: the dead process's claim runs out and any instance retries it (at-least-once)
      assert.deepEqual([delivery?.status, delivery?.attempts], ['pending', 1]);
    } finally {
      await restarted.dispose();
      silent.close();
    }
  });
});
