import type { Kysely } from 'kysely';
import type { EventBus } from '../../../core/events/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { CONFIG_TOPIC } from './event-index.ts';

export interface RunningExperiment {
  id: number;
  publicId: string;
}

/**
 * The experiment new datapoints are tagged with: the running one started last (spec D16), cached
 * until an experiment is created, stopped or deleted here or on another instance.
 */
export class RunningExperimentCache {
  private loading: Promise<RunningExperiment | null> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Kysely<WebmacsDatabase>,
    private readonly bus: EventBus,
  ) {
    this.unsubscribe = bus.subscribe(CONFIG_TOPIC, (message) => {
      if (message.origin !== bus.instanceId) this.loading = undefined;
    });
  }

  current(): Promise<RunningExperiment | null> {
    this.loading ??= this.load();
    return this.loading;
  }

  invalidate(): void {
    this.loading = undefined;
    this.bus.publish(CONFIG_TOPIC, { reason: 'experiments' });
  }

  close(): void {
    this.unsubscribe();
  }

  private async load(): Promise<RunningExperiment | null> {
    const row = await this.db
      .selectFrom('experiments')
      .select(['id', 'public_id'])
      .where('stopped_on', 'is', null)
      .orderBy('started_on', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { id: Number(row.id), publicId: row.public_id } : null;
  }
}
