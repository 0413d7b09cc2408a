import type { Kysely } from 'kysely';
import type { AppContext } from '../../core/app.ts';
import type { AppDatabase } from '../../core/db/index.ts';
import { createAuthGuard, type AuthGuard } from './auth/guard.ts';
import { passwordHasher } from './auth/passwords.ts';
import { revocationsRepo } from './auth/repo.ts';
import type { WebmacsDatabase } from './db/schema.ts';
import { loggingRepo } from './logging/repo.ts';
import { loggingService, type LoggingService } from './logging/service.ts';
import { WebmacsMetrics } from './metrics.ts';
import type { WebmacsSettings, WebmacsSettingsSpec } from './settings.ts';
import { tokensRepo } from './tokens/repo.ts';
import { cachedUsersRepo, type CachedUsersRepo } from './users/cache.ts';
import { usersRepo } from './users/repo.ts';

/**
 * What every webmacs resource is built from: the platform context plus the app-wide pieces (typed
 * database, auth guard, the system log). Created once in `register` and handed to each resource's
 * `register<Resource>Routes(scope, wm)`.
 */
export interface WebmacsContext {
  readonly app: AppContext<WebmacsSettingsSpec>;
  readonly settings: WebmacsSettings;
  readonly database: AppDatabase<WebmacsDatabase>;
  readonly db: Kysely<WebmacsDatabase>;
  /** the JWT / SSO-state key (spec §4.8: loaded or generated before anything else) */
  readonly secretKey: string;
  readonly auth: AuthGuard;
  /** cached lookups for authentication; call `changed()` after a user change committed in a transaction */
  readonly users: CachedUsersRepo;
  /** argon2id at the configured cost; verify with the core's verifyPassword */
  readonly hashPassword: (password: string) => Promise<string>;
  /** writes LogEntries (logins, experiment start/stop, rule actions, health changes) */
  readonly log: LoggingService;
  /** process start, for `/health` uptime (epoch ms) */
  readonly startedAt: number;
  /** the app's `webmacs_*` Prometheus metrics */
  readonly metrics: WebmacsMetrics;
}

export function createWebmacsContext(app: AppContext<WebmacsSettingsSpec>, secretKey: string): WebmacsContext {
  const database = app.database as AppDatabase<WebmacsDatabase>;
  const db = database.db;
  const users = cachedUsersRepo(usersRepo(db), app.bus);
  app.onClose(users.close);
  const auth = createAuthGuard({
    secretKey,
    accessTokenMinutes: app.settings.WEBMACS_ACCESS_TOKEN_EXPIRE_MINUTES,
    users,
    tokens: tokensRepo(db),
    revocations: revocationsRepo(db),
  });
  return {
    app,
    settings: app.settings,
    database,
    db,
    secretKey,
    auth,
    users,
    hashPassword: passwordHasher(app.settings.WEBMACS_ARGON2_MEMORY_KIB, app.settings.WEBMACS_ARGON2_TIME_COST),
    log: loggingService(loggingRepo(db)),
    startedAt: Date.now(),
    metrics: new WebmacsMetrics(app.metrics),
  };
}
