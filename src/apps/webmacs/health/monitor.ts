import type { Logger } from 'pino';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { JobEngine } from '../../../core/jobs/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import type { LoggingService } from '../logging/service.ts';
import { nowMicros } from '../time.ts';
import type { UsersRepo } from '../users/repo.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { HealthStateRepo } from './repo.ts';
import type { HealthReport } from './service.ts';

export const HEALTH_MONITOR_JOB = 'webmacs.health.monitor';

type HealthStatus = HealthReport['status'];

interface Transition {
  /** undefined when this process had no status yet: the stored one (or `ok` on a fresh database) applies */
  previous: HealthStatus | undefined;
  status: HealthStatus;
  checks: HealthReport['checks'];
  time: number;
}

export interface HealthMonitorOptions {
  database: AppDatabase<WebmacsDatabase>;
  state: HealthStateRepo;
  users: UsersRepo;
  log: LoggingService;
  webhooks: Pick<WebhookDispatcher, 'emitWithin'>;
  logger: Logger;
}

/** `System health changed: ok → degraded (database: error).` — the checks that are not ok, if any. */
export function describeTransition(previous: string, status: string, checks: HealthReport['checks']): string {
  const failing = Object.entries(checks)
    .filter(([, value]) => value !== 'ok')
    .map(([name, value]) => `${name}: ${value}`);
  return `System health changed: ${previous} → ${status}${failing.length ? ` (${failing.join(', ')})` : ''}.`;
}

/**
 * Watches health evaluations for status changes (spec §4.6, D12). Each change is recorded in
 * `app_state` with a compare-and-set, together with its LogEntry and `system.health_changed`
 * deliveries in one transaction, so across instances and restarts each transition is reported once.
 * While the database is down, transitions are held in memory and reported, in order, once it answers.
 */
export class HealthMonitor {
  #known: HealthStatus | undefined;
  #held: Transition[] = [];
  #work: Promise<void> = Promise.resolve();

  constructor(private readonly options: HealthMonitorOptions) {}

  /** Evaluations are handled one at a time, in the order they were made. */
  observe(report: HealthReport): Promise<void> {
    this.#work = this.#work.then(() => this.#observe(report));
    return this.#work;
  }

  async #observe(report: HealthReport): Promise<void> {
    if (report.status !== this.#known) {
      this.#held.push({ previous: this.#known, status: report.status, checks: report.checks, time: nowMicros() });
      this.#known = report.status;
    }
    if (report.database !== 'ok') return;
    try {
      while (this.#held.length) {
        await this.#record(this.#held[0]!);
        this.#held.shift();
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'health transition not recorded yet; retrying at the next evaluation');
    }
  }

  async #record(transition: Transition): Promise<void> {
    const { database, state, users, log, webhooks } = this.options;
    const admin = await users.firstAdmin();
    await database.transaction(async (trx) => {
      const stored = (await state.storedStatus(trx)) as HealthStatus | undefined;
      if (stored === transition.status) return;
      const previous = transition.previous ?? stored ?? 'ok';
      if (!(await state.compareAndSet(trx, stored, transition.status))) return;
      // A fresh database's first evaluation only records the baseline.
      if (previous === transition.status) return;
      const content = describeTransition(previous, transition.status, transition.checks);
      if (admin) await log.write(admin.id, content, transition.status === 'ok' ? 'info' : 'warning', trx);
      await webhooks.emitWithin(trx, 'system.health_changed', {
        time: transition.time,
        status: transition.status,
        previous_status: previous,
        checks: transition.checks,
      });
    });
  }
}

/** A cron pattern firing every `seconds` (exact when it divides a minute or an hour, else the nearest). */
export function everySecondsCron(seconds: number): string {
  if (seconds < 60) return `*/${seconds} * * * * *`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `0 */${minutes} * * * *` : `0 0 */${Math.min(23, Math.round(minutes / 60))} * * *`;
}

/** The periodic evaluation (spec §4.7 `webmacs.health.monitor`), one per tick across instances. */
export async function scheduleHealthMonitor(jobs: JobEngine, intervalSeconds: number, evaluate: () => Promise<void>): Promise<void> {
  jobs.define(HEALTH_MONITOR_JOB, evaluate, { singleton: true });
  await jobs.schedule(HEALTH_MONITOR_JOB, everySecondsCron(intervalSeconds), HEALTH_MONITOR_JOB);
}
