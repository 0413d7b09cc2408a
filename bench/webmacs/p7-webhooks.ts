/**
 * P7 (spec §9): P1 again with 10 webhooks subscribed to `sensor.reading` on a receiver that accepts
 * connections and never answers. Target: P1's batch p95 within +10 % of the baseline measured in the
 * same run without webhooks; deliveries end `dead_letter` (3 attempts of the 10 s timeout).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { durations, loadAverage, report, request, requestJson, setupLab, sleep, startServer, type ServerHandle } from './_support/harness.ts';
import { ingestOpenLoop, ingestVerdicts } from './p1-rest-ingest.ts';

const WEBHOOKS = 10;
const EVENTS = 50;
/** one full retry cycle: 3 × 10 s timeouts plus the 2 s and 4 s waits, and some slack */
const SETTLE_S = 45;

async function deliveryStatuses(server: ServerHandle, token: string, webhooks: string[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const status of ['pending', 'failed', 'delivered', 'dead_letter']) {
    for (const webhook of webhooks) {
      const page = await requestJson<{ total: number }>(server.url, 'GET', `/api/v1/webhooks/${webhook}/deliveries?page_size=1&status=${status}`, token);
      totals[status] = (totals[status] ?? 0) + page.total;
    }
  }
  return totals;
}

async function droppedMetric(server: ServerHandle): Promise<number> {
  const body = (await request(server.url, 'GET', '/metrics', undefined)).body;
  const line = body.split('\n').find((l) => l.startsWith('webmacs_webhook_dropped_total '));
  return line ? Number(line.split(' ')[1]) : NaN;
}

export async function run(): Promise<void> {
  const loadStart = loadAverage();
  const { measureS, warmupS } = durations(60);
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;

  const baselineServer = await startServer();
  const baseline = await ingestOpenLoop(baselineServer, await setupLab(baselineServer.url, EVENTS), measureS, warmupS);
  await baselineServer.stop();

  const server = await startServer();
  const lab = await setupLab(server.url, EVENTS);
  const webhooks: string[] = [];
  for (let i = 0; i < WEBHOOKS; i++) {
    webhooks.push((await requestJson<{ public_id: string }>(server.url, 'POST', '/api/v1/webhooks', lab.token, { url: `${silentUrl}/hook-${i}`, events: ['sensor.reading'] })).public_id);
  }
  const hooked = await ingestOpenLoop(server, lab, measureS, warmupS);
  const atEnd = await deliveryStatuses(server, lab.token, webhooks);
  await sleep(SETTLE_S * 1000);
  const settled = await deliveryStatuses(server, lab.token, webhooks);
  const dropped = await droppedMetric(server);
  await server.stop();
  silent.close();

  const increase = Math.round((hooked.latency.p95 / baseline.latency.p95 - 1) * 1000) / 10;
  const met = increase <= 10 && settled.delivered === 0 && (settled.dead_letter ?? 0) > 0;
  report(
    'webmacs/p7-webhooks',
    { load_average_start: loadStart, measure_s: measureS, warmup_s: warmupS, baseline, with_webhooks: hooked, p95_increase_percent: increase, deliveries_at_end: atEnd, deliveries_after_settle: settled, settle_s: SETTLE_S, webhook_dropped_total: dropped },
    [
      ...ingestVerdicts('P7 baseline (no webhooks)', baseline),
      ...ingestVerdicts(`P7 with ${WEBHOOKS} webhooks on a silent receiver`, hooked),
      `P7: batch p95 ${hooked.latency.p95} ms vs baseline ${baseline.latency.p95} ms: ${increase >= 0 ? '+' : ''}${increase} % (target ≤ +10 %)`,
      `P7: deliveries at the end of the load ${JSON.stringify(atEnd)}, ${SETTLE_S} s later ${JSON.stringify(settled)}; sensor.reading skipped by the backlog cap: ${dropped}`,
      `P7: ${met ? 'MET' : 'NOT MET'}`,
    ],
  );
}
