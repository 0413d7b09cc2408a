import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { IngestionPipeline } from '../ingestion/pipeline.ts';
import type { PluginsRepo, ValveCycleEvents } from './repo.ts';

export interface ValveCycleOptions {
  repo: PluginsRepo;
  pipeline: IngestionPipeline;
  /** `WEBMACS_RULE_EVENT_ID`: the event that carries the valve state (1 open, 0 closed) */
  ruleEventPublicId: string;
  logger: Logger;
}

/** Upstream's fallback when `cmd_opened` / `cmd_closed` has no (or a zero) value. */
const DEFAULT_PHASE_S = 1;

/**
 * The upstream controller's rule loop (spec §4.5 valve cycling): while the `cmd_button` event's latest
 * value is 1, one cycle posts 1 to the rule event, waits the `cmd_opened` value in seconds, posts 0,
 * waits the `cmd_closed` value, then posts 0 to the button. Cycles run beside the poll ticks (a tick
 * never waits for a cycle) and never overlap.
 */
export class ValveCycle {
  private cycling: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: ValveCycleOptions) {}

  /** Called every controller tick: starts a cycle when the button is pressed and none is running. */
  async check(): Promise<void> {
    if (this.cycling || this.stopping.signal.aborted) return;
    const { repo, ruleEventPublicId } = this.options;
    const events = await repo.valveCycleEvents(ruleEventPublicId);
    if (!events) return;
    const latest = await repo.latestOf([events.button.id]);
    // upstream: int(float(value)) == 1
    if (Math.trunc(latest.get(events.button.id)?.value ?? 0) !== 1) return;
    this.cycling = this.cycle(events)
      .catch((err: unknown) => {
        if (!this.stopping.signal.aborted) this.options.logger.error({ err }, 'valve cycle failed');
      })
      .finally(() => {
        this.cycling = undefined;
      });
  }

  /** Ends a running cycle at once; a valve left open is closed (its safe state). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.cycling;
  }

  private async cycle(events: ValveCycleEvents): Promise<void> {
    const { repo, logger } = this.options;
    const durations = await repo.latestOf([events.opened.id, events.closed.id]);
    const seconds = (id: number) => durations.get(id)?.value || DEFAULT_PHASE_S;
    const openS = seconds(events.opened.id);
    const closedS = seconds(events.closed.id);
    logger.info({ openS, closedS }, 'valve cycle start');
    await this.post(events.rule.publicId, 1);
    try {
      await sleep(openS * 1000, undefined, { signal: this.stopping.signal });
    } finally {
      await this.post(events.rule.publicId, 0);
    }
    await sleep(closedS * 1000, undefined, { signal: this.stopping.signal });
    await this.post(events.button.publicId, 0);
    logger.info('valve cycle done');
  }

  private async post(eventPublicId: string, value: number): Promise<void> {
    const result = await this.options.pipeline.ingest([{ value, eventPublicId }], 'controller');
    if (result.accepted.length === 0) {
      this.options.logger.warn({ event: eventPublicId, reason: result.rejectedEvents.get(eventPublicId) }, 'valve cycle datapoint rejected');
    }
  }
}
