import type { WebmacsContext } from '../context.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { HealthMonitor, scheduleHealthMonitor } from './monitor.ts';
import { healthStateRepo } from './repo.ts';
import { evaluateHealth, type HealthReport } from './service.ts';

export interface Health {
  /** one evaluation (spec §3.14), seen by the monitor (§4.6) before it is returned */
  check(): Promise<HealthReport>;
  /** the periodic `webmacs.health.monitor` job (§4.7) */
  schedule(): Promise<void>;
}

export function createHealth(wm: WebmacsContext, webhooks: WebhookDispatcher): Health {
  const options = {
    database: wm.database,
    version: wm.settings.WEBMACS_VERSION,
    startedAt: wm.startedAt,
    dataDir: wm.app.filesDir,
    minFreeMb: wm.settings.WEBMACS_HEALTH_MIN_FREE_MB,
    staleAfterSeconds: wm.settings.WEBMACS_HEALTH_STALE_AFTER_S,
  };
  const monitor = new HealthMonitor({
    database: wm.database,
    state: healthStateRepo(),
    users: wm.users,
    log: wm.log,
    webhooks,
    logger: wm.app.logger.child({ component: 'health' }),
  });
  async function check(): Promise<HealthReport> {
    const report = await evaluateHealth(options);
    await monitor.observe(report);
    return report;
  }
  return {
    check,
    schedule: () =>
      scheduleHealthMonitor(wm.app.jobs, wm.settings.WEBMACS_HEALTH_CHECK_INTERVAL_S, async () => {
        await check();
      }),
  };
}
