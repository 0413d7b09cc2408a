import { defineApp } from '../../core/app.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { logStartup, loadSecretKey, seedAdmin } from './bootstrap.ts';
import { scheduleCleanup } from './cleanup/job.ts';
import { cleanupRepo } from './cleanup/repo.ts';
import { scheduleDatapointRetention } from './cleanup/retention.ts';
import { registerWebmacsCommands } from './cli.ts';
import { createWebmacsContext } from './context.ts';
import { installCors } from './cors.ts';
import { registerDashboardRoutes } from './dashboards/routes.ts';
import { registerDatapointRoutes } from './datapoints/routes.ts';
import { registerEventRoutes } from './events/routes.ts';
import { registerExperimentRoutes } from './experiments/routes.ts';
import { webmacsMigrations } from './db/migrations/index.ts';
import { webmacsEnvelope } from './envelope.ts';
import { createHealth } from './health/index.ts';
import { registerHealthRoutes } from './health/routes.ts';
import { createLab } from './ingestion/index.ts';
import { installWebmacsHttp } from './http.ts';
import { registerLoggingRoutes } from './logging/routes.ts';
import { registerOtaRoutes } from './ota/routes.ts';
import { registerPluginRoutes } from './plugins/routes.ts';
import { preparePluginWorkers, startPluginWorkers } from './plugins/workers.ts';
import { installRateLimit } from './ratelimit.ts';
import { webmacsDemoDefaults, webmacsSettings } from './settings.ts';
import { registerSsoRoutes } from './sso/routes.ts';
import { registerTokenRoutes } from './tokens/routes.ts';
import { registerRuleRoutes } from './rules/routes.ts';
import { registerUserRoutes } from './users/routes.ts';
import { WEBHOOK_DELIVERY_POLICY } from './webhooks/dispatcher.ts';
import { registerWebhookRoutes } from './webhooks/routes.ts';
import { registerWebSocketRoutes } from './ws/routes.ts';

const JSON_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * WebMACS — lab monitoring and control (seed `webmacs-rest-api.txt`, spec `specs/webmacs.md`).
 * REST under `/api/v1`, `GET /health` and the WebSockets under `/ws`, all answering `{"detail": …}`.
 */
export const webmacsApp = defineApp({
  id: 'webmacs',
  title: 'WebMACS',
  version: '2.0.0',
  description: 'Lab monitoring and control: events, experiments, datapoints, dashboards, rules, webhooks, OTA and plugins.',
  prefixes: ['/api/v1', '/health', '/ws'],
  envelope: webmacsEnvelope,
  // Spec §2.7: every response gets a fresh UUIDv4; a client's X-Request-ID is never trusted.
  requestIds: 'generate',
  settings: webmacsSettings,
  demoDefaults: webmacsDemoDefaults,
  migrations: webmacsMigrations,
  // Upload routes (wheels, OTA bundles) set their own limits.
  bodyLimit: () => JSON_BODY_LIMIT,
  // Webhook deliveries go through the core outbound dispatcher (spec §4.4).
  outbound: (settings) => ({
    allowLoopback: settings.WEBMACS_WEBHOOK_ALLOW_LOOPBACK,
    timeoutMs: settings.WEBMACS_WEBHOOK_TIMEOUT_S * 1000,
    maxAttempts: settings.WEBMACS_WEBHOOK_MAX_ATTEMPTS,
    retryDelaysMs: settings.WEBMACS_WEBHOOK_BACKOFF_S.map((seconds) => Number(seconds) * 1000),
    concurrency: settings.WEBMACS_WEBHOOK_CONCURRENCY,
    policy: WEBHOOK_DELIVERY_POLICY,
  }),

  async register(scope, ctx) {
    const wm = createWebmacsContext(ctx, loadSecretKey(ctx.settings, ctx.filesDir));
    installWebmacsHttp(scope);
    installCors(scope, ctx, ctx.settings.WEBMACS_CORS_ORIGINS);
    installRateLimit(scope, {
      store: ctx.rateLimitStore,
      perMinute: ctx.settings.WEBMACS_RATE_LIMIT_PER_MINUTE,
      trustedProxies: ctx.settings.WEBMACS_TRUSTED_PROXIES,
      exemptNetworks: ctx.settings.WEBMACS_RATE_LIMIT_EXEMPT_NETWORKS,
    });
    await seedAdmin(wm);
    await logStartup(wm);

    // Accounts and access
    registerAuthRoutes(scope, wm);
    registerSsoRoutes(scope, wm);
    registerTokenRoutes(scope, wm);
    registerUserRoutes(scope, wm);

    // Lab data: one ingestion pipeline shared by REST, sockets and the controller
    const lab = createLab(wm);
    registerEventRoutes(scope, wm, lab);
    registerExperimentRoutes(scope, wm, lab);
    registerDatapointRoutes(scope, wm, lab);
    registerWebSocketRoutes(scope, wm, lab);
    await registerWebhookRoutes(scope, wm, lab);
    registerRuleRoutes(scope, wm, lab);
    registerPluginRoutes(scope, wm, lab);
    await registerOtaRoutes(scope, wm, lab);
    preparePluginWorkers(wm, lab);

    // Presentation and operations
    registerDashboardRoutes(scope, wm);
    registerLoggingRoutes(scope, wm);
    const health = createHealth(wm, lab.webhooks);
    registerHealthRoutes(scope, health.check);
    await health.schedule();
    await scheduleCleanup(ctx.jobs, cleanupRepo(wm.db));
    await scheduleDatapointRetention(ctx.jobs, {
      database: wm.database,
      repo: cleanupRepo(wm.db),
      series: lab.series,
      retentionDays: ctx.settings.WEBMACS_RETENTION_DAYS,
      chunkRows: ctx.settings.WEBMACS_DELETE_CHUNK_ROWS,
    });
  },

  // The built-in plugin controller and the demo auto-seed (spec §4.5)
  async start(ctx) {
    await startPluginWorkers(ctx);
  },

  // `burrow webmacs create-user | reset-password | create-token | seed-demo | purge-datapoints` (spec §6)
  cli(registry) {
    registerWebmacsCommands(registry, webmacsApp);
  },
});
