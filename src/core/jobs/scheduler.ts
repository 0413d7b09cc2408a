import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { JobRepository } from './repo.ts';
import { toJson, toScheduleRecord, type JobRow } from './rows.ts';
import type { ScheduleRepository } from './schedule-repo.ts';
import type { ScheduleRecord } from './types.ts';

/** Timers longer than this are re-armed instead (setTimeout overflows past 2^31 ms). */
const MAX_SLEEP_MS = 60_000;

/** The first tick of a 5- or 6-field cron pattern after `after`; throws on a bad pattern or timezone. */
export function nextTick(cron: string, timezone: string | null, after: number): number | null {
  const pattern = new Cron(cron, timezone ? { paused: true, timezone } : { paused: true });
  return pattern.nextRun(new Date(after))?.getTime() ?? null;
}

export interface SchedulerHost {
  readonly schedules: ScheduleRepository;
  readonly jobs: JobRepository;
  readonly logger: Logger;
  /** a new pending job row as `enqueue` would insert it */
  buildJob(type: string, payloadJson: string, now: number): JobRow;
  /** called after a tick's job is committed */
  enqueued(row: JobRow): void;
}

/**
 * Fires cron schedules stored in the database. Every process arms a timer for the earliest tick; when
 * it fires, each due schedule gets its tick's job (at most one per tick, by a unique index) and moves
 * on to its next tick. Missed ticks (all processes down) fire once, then the schedule resumes from now.
 * No step holds a transaction open, so processes sharing a SQLite file never wait on each other.
 */
export class Scheduler {
  readonly #host: SchedulerHost;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #work: Promise<void> = Promise.resolve();

  constructor(host: SchedulerHost) {
    this.#host = host;
  }

  async define(name: string, cron: string, type: string, payload: unknown, timezone: string | null): Promise<ScheduleRecord> {
    const now = Date.now();
    let nextRunAt: number | null;
    try {
      nextRunAt = nextTick(cron, timezone, now);
    } catch (err) {
      throw new RangeError(`schedule ${name}: ${(err as Error).message}`, { cause: err });
    }
    const row = await this.#host.schedules.upsert({
      name,
      cron,
      timezone,
      type,
      payload: toJson(payload),
      next_run_at: nextRunAt,
      last_run_at: null,
      created_at: now,
      updated_at: now,
    });
    this.refresh();
    return toScheduleRecord(row);
  }

  start(): void {
    this.#running = true;
    this.refresh();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#work;
  }

  /** Re-reads the earliest tick, e.g. after another process added a schedule. */
  refresh(): void {
    this.#serially(() => this.#arm());
  }

  #serially(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((err: unknown) => this.#host.logger.error({ err }, 'job scheduler failed'));
  }

  async #arm(): Promise<void> {
    if (!this.#running) return;
    const next = await this.#host.schedules.earliestNextRun();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next === null || !this.#running) return;
    const delay = Math.min(Math.max(0, next - Date.now()), MAX_SLEEP_MS);
    this.#timer = setTimeout(() => this.#serially(() => this.#fireDue()), delay);
  }

  async #fireDue(): Promise<void> {
    const { schedules, jobs } = this.#host;
    const now = Date.now();
    for (const schedule of await schedules.due(now)) {
      const due = schedule.next_run_at;
      if (due === null) continue;
      const next = nextTick(schedule.cron, schedule.timezone, Math.max(now, due));
      // The tick's unique job row is the claim: one insert wins however many processes fire. It comes
      // before the advance so a crash in between neither loses the tick nor fires it twice.
      const row = { ...this.#host.buildJob(schedule.type, schedule.payload, now), schedule_name: schedule.name, scheduled_for: due };
      const job = await jobs.insertTick(row);
      await schedules.advance(schedule.name, due, next, now);
      if (job) this.#host.enqueued(job);
    }
    await this.#arm();
  }
}
