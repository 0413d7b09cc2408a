import { isIP } from 'node:net';
import { env, type Setting, type Settings } from '../../core/config.ts';

/** Comma-separated IP addresses and CIDRs (spec §13), validated here so a typo stops the server. */
function networks(opts: { default: string[]; description: string }): Setting<string[]> {
  const list = env.list(opts);
  return {
    ...list,
    parse(raw) {
      const items = list.parse(raw);
      for (const item of items) {
        const [address = '', bits, extra] = item.split('/');
        const family = isIP(address);
        const maxBits = family === 6 ? 128 : 32;
        const badBits = bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > maxBits);
        if (!family || badBits || extra !== undefined) throw new Error(`not an IP address or CIDR: ${JSON.stringify(item)}`);
      }
      return items;
    },
  };
}

const PRIVATE_NETWORKS = ['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** Every `WEBMACS_*` variable of spec §6. */
export const webmacsSettings = {
  WEBMACS_ENV: env.string({ default: 'development', description: 'development enables auto-seeding of demo plugin instances' }),
  WEBMACS_SECRET_KEY: env.string<string | undefined>({
    default: undefined,
    secret: true,
    description: 'JWT/SSO-state key (≥ 32 chars); generated into <data>/webmacs/secret_key when unset',
  }),
  WEBMACS_ALGORITHM: env.oneOf(['HS256'] as const, { default: 'HS256', description: 'JWT algorithm (only HS256)' }),
  WEBMACS_ACCESS_TOKEN_EXPIRE_MINUTES: env.int({ default: 1440, min: 1, description: 'JWT lifetime in minutes' }),
  WEBMACS_INITIAL_ADMIN_EMAIL: env.string({ default: 'admin@webmacs.io', description: 'seed admin email (empty database)' }),
  WEBMACS_INITIAL_ADMIN_USERNAME: env.string({ default: 'admin', description: 'seed admin username (empty database)' }),
  WEBMACS_INITIAL_ADMIN_PASSWORD: env.string<string | undefined>({
    default: undefined,
    secret: true,
    description: 'seed admin password; random and printed once when unset',
  }),
  WEBMACS_ARGON2_MEMORY_KIB: env.int({ default: 19_456, min: 1024, description: 'argon2id memory cost (KiB)' }),
  WEBMACS_ARGON2_TIME_COST: env.int({ default: 2, min: 1, description: 'argon2id passes' }),
  WEBMACS_LOGIN_MAX_FAILURES: env.int({ default: 10, min: 0, description: 'failed logins per email before lockout (0 = off)' }),
  WEBMACS_LOGIN_LOCKOUT_SECONDS: env.int({ default: 900, min: 1, description: 'lockout window in seconds' }),
  WEBMACS_CORS_ORIGINS: env.list({
    default: ['http://localhost:3000', 'http://localhost:5173'],
    description: 'allowed CORS origins',
  }),
  WEBMACS_RATE_LIMIT_PER_MINUTE: env.int({ default: 300, min: 0, description: 'requests per client IP per minute (0 = off)' }),
  WEBMACS_TRUSTED_PROXIES: networks({ default: PRIVATE_NETWORKS, description: 'peers whose X-Forwarded-For / X-Real-IP are honoured' }),
  WEBMACS_RATE_LIMIT_EXEMPT_NETWORKS: networks({ default: PRIVATE_NETWORKS, description: 'client networks never rate limited' }),
  WEBMACS_VERSION: env.string({ default: '2.0.0', description: 'reported by /health and used as the current OTA version' }),
  WEBMACS_REQUIRE_PLUGIN_LINK: env.bool({ default: true, description: 'datapoints only for events mapped by an enabled plugin instance' }),
  WEBMACS_FUTURE_TOLERANCE_S: env.int({ default: 300, min: 0, description: 'how far in the future a client timestamp may be' }),
  WEBMACS_SERIES_CACHE_MAX_POINTS: env.int({ default: 5_000_000, min: 0, description: 'series cache size in points (0 = off)' }),
  WEBMACS_SERIES_CACHE_WINDOW_MINUTES: env.int({ default: 1440, min: 1, description: 'series cache window' }),
  WEBMACS_BROADCAST_INTERVAL_MS: env.int({ default: 200, min: 0, description: 'per-event stream broadcast throttle' }),
  WEBMACS_SENSOR_WEBHOOK_INTERVAL_S: env.int({ default: 5, min: 0, description: 'per-event sensor.reading webhook throttle' }),
  WEBMACS_WS_HEARTBEAT_INTERVAL: env.int({ default: 30, min: 1, description: 'WebSocket ping interval (s)' }),
  WEBMACS_WS_AUTH_TIMEOUT_S: env.int({ default: 10, min: 1, description: 'first-message auth timeout (s)' }),
  WEBMACS_WS_MAX_BUFFERED_BYTES: env.int({ default: 1_048_576, min: 1024, description: 'slow consumer threshold' }),
  WEBMACS_WS_MAX_CONNECTIONS: env.int({ default: 2000, min: 1, description: 'WebSocket connection cap' }),
  WEBMACS_WEBHOOK_TIMEOUT_S: env.int({ default: 10, min: 1, description: 'webhook attempt timeout (s)' }),
  WEBMACS_WEBHOOK_MAX_ATTEMPTS: env.int({ default: 3, min: 1, description: 'attempts before dead_letter' }),
  WEBMACS_WEBHOOK_BACKOFF_S: env.list({ default: ['2', '4'], description: 'seconds between attempts' }),
  WEBMACS_WEBHOOK_CONCURRENCY: env.int({ default: 10, min: 1, description: 'deliveries in flight at once' }),
  WEBMACS_WEBHOOK_ALLOW_LOOPBACK: env.bool({ default: false, description: 'allow webhook deliveries to loopback addresses' }),
  WEBMACS_WEBHOOK_MAX_PENDING: env.int({ default: 1000, min: 1, description: 'sensor.reading backlog cap per webhook' }),
  WEBMACS_WEBHOOK_DELIVERY_RETENTION_DAYS: env.int({ default: 7, min: 1, description: 'delivered rows kept this long' }),
  WEBMACS_OTA_RELEASE_URL: env.url<string | undefined>({
    default: undefined,
    protocols: ['http', 'https'],
    description: 'GitHub releases/latest-shaped URL for /ota/check (unset = no remote check)',
  }),
  WEBMACS_OTA_RELEASE_TIMEOUT_S: env.int({ default: 8, min: 1, description: 'release check timeout (s)' }),
  WEBMACS_OTA_DOWNLOAD_TIMEOUT_S: env.int({ default: 30, min: 1, description: 'firmware download idle timeout (s)' }),
  WEBMACS_OTA_MAX_BYTES: env.int({ default: 524_288_000, min: 1, description: 'firmware bundle size cap' }),
  WEBMACS_UPDATE_DIR: env.string<string | undefined>({ default: undefined, description: 'firmware files (default <data>/webmacs/updates)' }),
  WEBMACS_PLUGIN_DIR: env.string<string | undefined>({ default: undefined, description: 'plugin wheels (default <data>/webmacs/plugins)' }),
  WEBMACS_PLUGIN_MAX_BYTES: env.int({ default: 52_428_800, min: 1, description: 'wheel size cap' }),
  WEBMACS_CONTROLLER: env.bool({ default: true, description: 'run the built-in plugin controller' }),
  WEBMACS_POLL_INTERVAL: env.number({ default: 1.0, min: 0.2, description: 'controller poll interval (s)' }),
  WEBMACS_MAX_BATCH_SIZE: env.int({ default: 100, min: 1, max: 500, description: 'controller batch size' }),
  WEBMACS_DEDUP_ENABLED: env.bool({ default: false, description: 'skip repeated equal channel values' }),
  WEBMACS_AUTO_SEED: env.bool({ default: true, description: 'create the Simulated Device instance on an empty database (development)' }),
  WEBMACS_RULE_EVENT_ID: env.string<string | undefined>({ default: undefined, description: 'cmd_button event driving valve cycling' }),
  WEBMACS_HEALTH_CHECK_INTERVAL_S: env.int({ default: 30, min: 1, description: 'health monitor interval (s)' }),
  WEBMACS_HEALTH_MIN_FREE_MB: env.int({ default: 512, min: 0, description: 'free space below which disk is an error' }),
  WEBMACS_HEALTH_STALE_AFTER_S: env.int({ default: 0, min: 0, description: 'ingestion staleness threshold (0 = off)' }),
  WEBMACS_RETENTION_DAYS: env.int({ default: 0, min: 0, description: 'datapoint retention (0 = keep forever)' }),
  WEBMACS_PG_PARTITION_INTERVAL: env.oneOf(['day', 'week', 'month'] as const, { default: 'week', description: 'Postgres datapoint partition size' }),
  WEBMACS_DELETE_CHUNK_ROWS: env.int({ default: 10_000, min: 100, description: 'datapoints deleted per transaction in large deletes' }),
  WEBMACS_OIDC_ENABLED: env.bool({ default: false, description: 'enable SSO' }),
  WEBMACS_OIDC_PROVIDER_NAME: env.string({ default: 'SSO', description: 'SSO provider display name (also the stored sso_provider)' }),
  WEBMACS_OIDC_ISSUER_URL: env.url<string | undefined>({ default: undefined, protocols: ['http', 'https'], description: 'OIDC issuer' }),
  WEBMACS_OIDC_CLIENT_ID: env.string<string | undefined>({ default: undefined, description: 'OIDC client id' }),
  WEBMACS_OIDC_CLIENT_SECRET: env.string<string | undefined>({ default: undefined, secret: true, description: 'OIDC client secret' }),
  WEBMACS_OIDC_SCOPES: env.string({ default: 'openid email profile', description: 'OIDC scopes' }),
  WEBMACS_OIDC_REDIRECT_URI: env.url<string | undefined>({ default: undefined, protocols: ['http', 'https'], description: 'OIDC redirect URI (derived when unset)' }),
  WEBMACS_OIDC_DEFAULT_ROLE: env.oneOf(['admin', 'operator', 'viewer'] as const, { default: 'viewer', description: 'role of auto-created SSO users' }),
  WEBMACS_OIDC_AUTO_CREATE_USERS: env.bool({ default: true, description: 'create local users on first SSO login' }),
  WEBMACS_OIDC_FRONTEND_URL: env.url<string | undefined>({ default: undefined, protocols: ['http', 'https'], description: 'where the SSO callback sends the browser' }),
  WEBMACS_OIDC_DISCOVERY_TTL_S: env.int({ default: 3600, min: 0, description: 'OIDC discovery cache lifetime (s)' }),
  WEBMACS_OIDC_ALLOW_INSECURE: env.bool({ default: false, description: 'allow an http:// issuer' }),
  WEBMACS_OIDC_BIND_STATE_COOKIE: env.bool({ default: true, description: 'bind the SSO state to the browser with a cookie' }),
  WEBMACS_DEBUG: env.bool({ default: false, description: 'SQL debug logging' }),
};

export type WebmacsSettingsSpec = typeof webmacsSettings;
export type WebmacsSettings = Settings<WebmacsSettingsSpec>;

/** `npm start` shows live data (spec §13): the controller and auto-seed on, in development. */
export const webmacsDemoDefaults: Partial<WebmacsSettings> = {
  WEBMACS_ENV: 'development',
  WEBMACS_CONTROLLER: true,
  WEBMACS_AUTO_SEED: true,
};
