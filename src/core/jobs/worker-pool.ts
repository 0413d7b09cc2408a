import type { JobDefinition } from './definition.ts';
import { JobReleasedError } from './errors.ts';
import { JobExecution, type ExecutionHost } from './execution.ts';
import { recoverInterrupted } from './recovery.ts';
import type { JobRepository } from './repo.ts';
import type { JobRow } from './rows.ts';

export interface WorkerPoolOptions {
  repo: JobRepository;
  /** the engine's job types; types defined later are claimed from the next round on */
  definitions: ReadonlyMap<string, JobDefinition>;
  host: ExecutionHost;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  /** runs with every lease renewal (the scheduler re-reads its ticks) */
  onMaintenance(): void;
}

/**
 * Runs this process's share of the queue: claims due jobs into free slots, runs them, renews their
 * leases, and recovers jobs whose process died.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #executions = new Map<string, { execution: JobExecution; done: Promise<void> }>();
  #running = false;
  #claiming: Promise<void> | undefined;
  #claimAgain = false;
  #maintaining: Promise<void> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const { leaseMs, pollIntervalMs, host } = this.#options;
    // At start, jobs held under this process's own id are a previous run's: recover them without waiting.
    await this.#recover(host.owner);
    this.#running = true;
    this.#timers = [
      setInterval(() => this.wake(), pollIntervalMs),
      setInterval(() => {
        this.#maintaining = this.#maintaining.then(() => this.#maintain());
      }, Math.max(50, Math.floor(leaseMs / 3))),
    ];
    this.wake();
  }

  /** Stops claiming, waits up to `timeoutMs` for running jobs, then aborts the rest and releases their leases. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.all([this.#claiming, this.#maintaining]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all([...this.#executions.values()].map((e) => e.done)), deadline]);
    clearTimeout(timer);
    const lingering = [...this.#executions.values()].map((e) => e.execution);
    if (lingering.length === 0) return;
    for (const execution of lingering) execution.abort(new JobReleasedError('the process is stopping'));
    await this.#options.repo.releaseLeases(lingering.map((e) => e.id), this.#options.host.owner, Date.now());
    this.#options.host.logger.warn({ jobs: lingering.map((e) => e.id) }, 'stopped with jobs still running; they are left to recovery');
  }

  /**
   * Claims due jobs at the end of this event-loop turn, so slots freed together (a batch of jobs whose
   * completions were written together) are filled by one statement; calls made while a claim is in
   * flight fold into one more round.
   */
  wake(): void {
    if (!this.#running) return;
    if (this.#claiming) {
      this.#claimAgain = true;
      return;
    }
    this.#claiming = this.#nextTurn().then(() => this.#claimWhileWanted()).finally(() => {
      this.#claiming = undefined;
      // A wake that came after the last round's check must not wait for the next poll.
      if (this.#claimAgain) this.wake();
    });
  }

  /** Aborts the job if this process runs it; false otherwise. */
  abort(id: string, reason: Error): boolean {
    const entry = this.#executions.get(id);
    entry?.execution.abort(reason);
    return entry !== undefined;
  }

  #nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  async #claimWhileWanted(): Promise<void> {
    do {
      this.#claimAgain = false;
      try {
        await this.#claimRound();
      } catch (err) {
        this.#claimAgain = false;
        this.#options.host.logger.error({ err }, 'could not claim jobs');
        return;
      }
    } while (this.#claimAgain && this.#running && this.#executions.size < this.#options.concurrency);
  }

  /**
   * Fills free slots. A type whose own limit is below the free slots is claimed on its own, so one
   * statement cannot take more of it than it may run; all other types share one statement.
   */
  async #claimRound(): Promise<void> {
    const { concurrency, definitions, repo, host, leaseMs } = this.#options;
    const free = concurrency - this.#executions.size;
    if (free <= 0) return;
    const runningByType = new Map<string, number>();
    for (const { execution } of this.#executions.values()) {
      runningByType.set(execution.type, (runningByType.get(execution.type) ?? 0) + 1);
    }
    const open = [...definitions.values()]
      .map((d) => ({ type: d.type, slots: Math.min(free, d.concurrency - (runningByType.get(d.type) ?? 0)) }))
      .filter((o) => o.slots > 0);
    const groups = [
      ...open.filter((o) => o.slots < free).map((o) => ({ types: [o.type], slots: o.slots })),
      { types: open.filter((o) => o.slots >= free).map((o) => o.type), slots: free },
    ];
    for (const group of groups) {
      const limit = Math.min(group.slots, concurrency - this.#executions.size);
      if (!this.#running || limit <= 0 || group.types.length === 0) continue;
      const claimed = await repo.claim({ types: group.types, limit, owner: host.owner, leaseMs, now: Date.now() });
      for (const row of claimed) this.#launch(row);
    }
  }

  #launch(row: JobRow): void {
    const { definitions, host } = this.#options;
    const definition = definitions.get(row.type);
    if (!definition) throw new Error(`claimed a job of undefined type ${row.type}`);
    const execution = new JobExecution(row, definition, host);
    const entry = { execution, done: Promise.resolve() };
    this.#executions.set(row.id, entry);
    host.publish(row);
    entry.done = execution
      .run()
      .catch((err: unknown) => host.logger.error({ err, jobId: row.id }, 'job execution failed'))
      .finally(() => {
        this.#executions.delete(row.id);
        this.wake();
      });
  }

  /** Renews this process's leases (aborting jobs it lost), recovers other processes' dead jobs. */
  async #maintain(): Promise<void> {
    if (!this.#running) return;
    const { repo, host, leaseMs } = this.#options;
    try {
      const ids = [...this.#executions.keys()];
      const held = await repo.renewLeases(ids, host.owner, Date.now() + leaseMs);
      for (const id of ids) {
        if (!held.has(id)) this.abort(id, new JobReleasedError('this process no longer owns the job'));
      }
      await this.#recover();
      this.#options.onMaintenance();
    } catch (err) {
      host.logger.error({ err }, 'job lease maintenance failed');
    }
  }

  async #recover(formerOwner?: string): Promise<void> {
    const { repo, definitions, host } = this.#options;
    const recovered = await recoverInterrupted(repo, definitions, { now: Date.now(), formerOwner });
    if (recovered.length === 0) return;
    host.logger.warn({ jobs: recovered.map((r) => ({ id: r.id, type: r.type, status: r.status })) }, 'recovered interrupted jobs');
    for (const row of recovered) host.publish(row);
    this.wake();
  }
}
