import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { OutboundSchema } from '../../../src/core/outbound/repository.ts';
import { RETENTION_JOB } from '../../../src/apps/webmacs/webhooks/retention.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

async function deliveryOf(wm: WebmacsHarness, webhookId: string, done: (d: Record<string, unknown> | undefined) => boolean) {
  const token = await wm.adminToken();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const delivery = (await wm.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries`, token })).json().data[0] as Record<string, unknown> | undefined;
    if (done(delivery) || Date.now() > deadline) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webmacs webhook delivery under faults (spec §4.4)', () => {
  it('§12.60 a receiver that never answers is recorded as Timeout', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const wm = await startWebmacs({ env: { WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true', WEBMACS_WEBHOOK_TIMEOUT_S: '1', WEBMACS_WEBHOOK_MAX_ATTEMPTS: '1' } });
    try {
      await wm.server.startWorkers();
      const admin = await wm.adminToken();
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
      const webhookId = (await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url, events: ['experiment.started'] } })).json().public_id;
      await wm.request({ method: 'POST', url: '/api/v1/experiments', token: admin, payload: { name: 'Silent' } });
      const delivery = await deliveryOf(wm, webhookId, (d) => d?.status === 'dead_letter');
      assert.deepEqual([delivery?.status, delivery?.last_error, delivery?.response_code, delivery?.attempts], ['dead_letter', 'Timeout', null, 1]);
    } finally {
      await wm.dispose();
      silent.close();
    }
  });

  it('§12.63 a pending delivery survives a restart and completes afterwards', async () => {
    const receiver = new WebhookReceiver();
    const url = `${await receiver.start()}/later`;
    const env = { WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true' };
    const first = await startWebmacs({ env });
    const admin = await first.adminToken();
    const webhookId = (await first.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url, events: ['experiment.started'] } })).json().public_id;
    await first.request({ method: 'POST', url: '/api/v1/experiments', token: admin, payload: { name: 'Before restart' } });
    assert.equal((await deliveryOf(first, webhookId, () => true))?.status, 'pending', 'no worker ran in the first process');
    await first.dispose({ keep: true });
    const second = await startWebmacs({ env, reuse: { dataDir: first.dataDir, schemas: first.schemas } });
    try {
      await second.server.startWorkers();
      await receiver.received(1);
      const delivery = await deliveryOf(second, webhookId, (d) => d?.status === 'delivered');
      assert.deepEqual([delivery?.status, delivery?.attempts], ['delivered', 1]);
    } finally {
      await second.dispose();
      await receiver.close();
    }
  });

  it('§12.66 the retention job purges old delivered and dead-lettered rows only', async () => {
    const wm = await startWebmacs();
    try {
      const admin = await wm.adminToken();
      const webhookId = (await wm.request({ method: 'POST', url: '/api/v1/webhooks', token: admin, payload: { url: 'https://example.org/h', events: ['experiment.started'] } })).json().public_id;
      const ctx = wm.server.context('webmacs');
      const db = ctx.database.db as Kysely<OutboundSchema>;
      const day = 86_400_000;
      const now = Date.now();
      const seed = async (id: string, status: 'delivered' | 'dead_letter' | 'pending', ageDays: number) => {
        await ctx.outbound.enqueue({ id, target: webhookId, url: 'https://example.org/h', eventType: 'experiment.started', payload: '{}' });
        await db.updateTable('outbound_deliveries').set({ status, attempts: 1, created_at: now - ageDays * day }).where('id', '=', id).execute();
      };
      await seed('dlv_old_delivered', 'delivered', 8);
      await seed('dlv_new_delivered', 'delivered', 1);
      await seed('dlv_old_dead', 'dead_letter', 31);
      await seed('dlv_new_dead', 'dead_letter', 8);
      await seed('dlv_old_pending', 'pending', 40);
      await ctx.jobs.start();
      const job = await ctx.jobs.enqueue(RETENTION_JOB, {});
      const deadline = Date.now() + 10_000;
      while ((await ctx.jobs.get(job.id))?.status !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const left = (await ctx.outbound.list({ target: webhookId })).items.map((d) => d.id).sort();
      assert.deepEqual(left, ['dlv_new_dead', 'dlv_new_delivered', 'dlv_old_pending']);
    } finally {
      await wm.dispose();
    }
  });
});
