import type { AppContext } from '../../../core/app.ts';
import type { WebmacsContext } from '../context.ts';
import type { Lab } from '../ingestion/index.ts';
import { PluginController } from './controller.ts';
import { pluginsRepo } from './repo.ts';
import { pluginsService } from './service.ts';
import { ValveCycle } from './valve-cycle.ts';

/** What `start` runs after the server listens; prepared in `register`, where the lab exists. */
const prepared = new WeakMap<AppContext, () => Promise<void>>();

/**
 * Prepares the demo auto-seed and the built-in controller (spec §4.5): with `WEBMACS_AUTO_SEED` in
 * development, an empty database gets the `Simulated Device` instance so a fresh server shows data.
 */
export function preparePluginWorkers(wm: WebmacsContext, lab: Lab): PluginController | undefined {
  const { settings, app } = wm;
  const repo = pluginsRepo(wm.db);
  const logger = app.logger.child({ component: 'controller' });
  const ruleEventPublicId = settings.WEBMACS_RULE_EVENT_ID;
  const controller = settings.WEBMACS_CONTROLLER
    ? new PluginController({
        repo,
        pipeline: lab.pipeline,
        leader: app.leader('webmacs.controller'),
        logger,
        pollIntervalMs: settings.WEBMACS_POLL_INTERVAL * 1000,
        maxBatchSize: settings.WEBMACS_MAX_BATCH_SIZE,
        dedup: settings.WEBMACS_DEDUP_ENABLED,
        actuatorWrites: wm.metrics.actuatorWrites,
        valveCycle: ruleEventPublicId ? new ValveCycle({ repo, pipeline: lab.pipeline, ruleEventPublicId, logger }) : undefined,
      })
    : undefined;
  prepared.set(app, async () => {
    if (settings.WEBMACS_AUTO_SEED && settings.WEBMACS_ENV === 'development') await autoSeed(wm, lab);
    if (controller) {
      app.onClose(() => controller.stop());
      await controller.start();
    }
  });
  return controller;
}

export async function startPluginWorkers(ctx: AppContext): Promise<void> {
  await prepared.get(ctx)?.();
}

async function autoSeed(wm: WebmacsContext, lab: Lab): Promise<void> {
  const repo = pluginsRepo(wm.db);
  if ((await repo.count()) > 0 || (await repo.eventCount()) > 0) return;
  const owner = await repo.firstAdminId();
  if (owner === undefined) return;
  const plugins = pluginsService({ repo, database: wm.database, lab, deleteChunkRows: wm.settings.WEBMACS_DELETE_CHUNK_ROWS });
  await plugins.create(owner, { plugin_id: 'simulated', instance_name: 'Simulated Device', demo_mode: true });
  wm.app.logger.info('auto-seeded the Simulated Device plugin instance');
}
