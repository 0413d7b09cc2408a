import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEALTH_MONITOR_JOB } from '../../../src/apps/webmacs/health/monitor.ts';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

/** Free space no disk has: the `disk` check fails, so health is degraded without touching the database. */
const DISK_ALWAYS_LOW = { WEBMACS_HEALTH_MIN_FREE_MB: '1000000000' };

interface Recorded {
  deliveries: Array<{ event_type: string; payload: Record<string, unknown> }>;
  logs: Array<{ content: string; logging_type: string }>;
}

async function subscribe(wm: WebmacsHarness): Promise<string> {
  const res = await wm.request({
    method: 'POST',
    url: '/api/v1/webhooks',
    token: await wm.adminToken(),
    payload: { url: 'http://127.0.0.1:9/health-hook', events: ['system.health_changed'] },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().public_id as string;
}

/** Health deliveries (oldest first) and health LogEntries (oldest first). */
async function recorded(wm: WebmacsHarness, webhookId: string): Promise<Recorded> {
  const token = await wm.adminToken();
  const deliveries = (await wm.request({ method: 'GET', url: `/api/v1/webhooks/${webhookId}/deliveries?page_size=100`, token })).json().data;
  const logs = (await wm.request({ method: 'GET', url: '/api/v1/logging?page_size=100', token })).json().data as Recorded['logs'];
  return {
    deliveries: (deliveries as Recorded['deliveries']).reverse(),
    logs: logs.filter((entry) => entry.content.startsWith('System health changed')).reverse(),
  };
}

async function health(wm: WebmacsHarness) {
  const res = await wm.request({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  return res.json() as { status: string; database: string; checks: Record<string, string> };
}

const servers: WebmacsHarness[] = [];
async function start(env: Record<string, string> = {}, reuse?: WebmacsHarness): Promise<WebmacsHarness> {
  const wm = await startWebmacs({ env: { WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true', ...env }, ...(reuse ? { reuse: { dataDir: reuse.dataDir, schemas: reuse.schemas } } : {}) });
  servers.push(wm);
  return wm;
}

describe('webmacs health monitor (spec §4.6, §12 item 99)', () => {
  after(async () => {
    for (const wm of servers.splice(0).reverse()) await wm.dispose();
  });

  it('§12.99 database unreachable → degraded with database: error; recovery → ok; each transition emits one system.health_changed and one LogEntry', async () => {
    const wm = await start();
    const webhookId = await subscribe(wm);
    assert.equal((await health(wm)).status, 'ok');

    // The fault: every ping fails as it would with the database gone (SQLite busy, Postgres unreachable).
    const database = wm.server.context('webmacs').database;
    const ping = database.ping.bind(database);
    database.ping = () => Promise.reject(new Error('connection refused'));
    const down = await health(wm);
    assert.deepEqual([down.status, down.database, down.checks.database], ['degraded', 'error', 'error']);
    await health(wm);
    database.ping = ping;
    assert.equal((await health(wm)).status, 'ok');
    await health(wm);

    const { deliveries, logs } = await recorded(wm, webhookId);
    assert.deepEqual(
      deliveries.map((d) => [d.event_type, d.payload.type, d.payload.status, d.payload.previous_status, d.payload.checks]),
      [
        ['system.health_changed', 'system.health_changed', 'degraded', 'ok', { database: 'error', disk: 'ok', ingestion: 'ok' }],
        ['system.health_changed', 'system.health_changed', 'ok', 'degraded', { database: 'ok', disk: 'ok', ingestion: 'ok' }],
      ],
    );
    assert.match(String(deliveries[0]!.payload.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
    assert.deepEqual(logs, [
      { ...logs[0]!, content: 'System health changed: ok → degraded (database: error).', logging_type: 'warning' },
      { ...logs[1]!, content: 'System health changed: degraded → ok.', logging_type: 'info' },
    ]);
  });

  it('a status that persists across a restart is not reported again; one that changed while down is', async () => {
    const first = await start(DISK_ALWAYS_LOW);
    const webhookId = await subscribe(first);
    assert.equal((await health(first)).status, 'degraded');
    await first.dispose({ keep: true });
    servers.splice(servers.indexOf(first), 1);

    const sameStatus = await start(DISK_ALWAYS_LOW, first);
    assert.equal((await health(sameStatus)).status, 'degraded');
    await sameStatus.dispose({ keep: true });
    servers.splice(servers.indexOf(sameStatus), 1);

    const recovered = await start({}, first);
    assert.equal((await health(recovered)).status, 'ok');
    const { deliveries, logs } = await recorded(recovered, webhookId);
    assert.deepEqual(
      deliveries.map((d) => [d.payload.previous_status, d.payload.status]),
      [
        ['ok', 'degraded'],
        ['degraded', 'ok'],
      ],
    );
    assert.deepEqual(
      logs.map((entry) => entry.content),
      ['System health changed: ok → degraded (disk: error).', 'System health changed: degraded → ok.'],
    );
  });

  it('two instances seeing the same change report it once', async () => {
    const a = await start(DISK_ALWAYS_LOW);
    const b = await start(DISK_ALWAYS_LOW, a);
    const webhookId = await subscribe(a);
    await Promise.all([health(a), health(b), health(a), health(b)]);
    const { deliveries, logs } = await recorded(a, webhookId);
    assert.equal(deliveries.length, 1);
    assert.equal(logs.length, 1);
  });

  it('the webmacs.health.monitor job is scheduled every WEBMACS_HEALTH_CHECK_INTERVAL_S and its run feeds the monitor', async () => {
    const wm = await start({ ...DISK_ALWAYS_LOW, WEBMACS_HEALTH_CHECK_INTERVAL_S: '15' });
    const webhookId = await subscribe(wm);
    const { jobs } = wm.server.context('webmacs');
    const schedule = (await jobs.schedules()).find((s) => s.name === HEALTH_MONITOR_JOB);
    assert.deepEqual([schedule?.cron, schedule?.type], ['*/15 * * * * *', HEALTH_MONITOR_JOB]);

    await wm.server.startWorkers();
    const job = await jobs.enqueue(HEALTH_MONITOR_JOB, null);
    const deadline = Date.now() + 10_000;
    while ((await jobs.get(job.id))?.status !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal((await jobs.get(job.id))?.status, 'completed');
    const { deliveries } = await recorded(wm, webhookId);
    assert.deepEqual(
      deliveries.map((d) => [d.payload.previous_status, d.payload.status]),
      [['ok', 'degraded']],
    );
  });
});
