import type { Updateable } from 'kysely';
import { defaultInterruptedMessage, type JobDefinition } from './definition.ts';
import { failedPatch } from './execution.ts';
import type { InterruptedScope, JobRepository } from './repo.ts';
import { toJobRecord, type JobRow } from './rows.ts';

/** Interrupted jobs looked at per statement; recovery loops until none are left. */
const RECOVERY_BATCH = 500;

function requeuePatch(message: string, now: number): Updateable<JobRow> {
  return {
    status: 'pending',
    retrying: 1,
    last_error: message,
    run_at: now,
    updated_at: now,
    lease_owner: null,
    lease_expires_at: null,
  };
}

/**
 * Settles running jobs whose process died or stopped: each goes back to pending or fails, as its type's
 * `onInterrupted` says (types this process does not know go back to pending). A job that already used
 * all its attempts fails, so a job that keeps crashing its process cannot loop forever. Returns the
 * rows it changed.
 */
export async function recoverInterrupted(
  repo: JobRepository,
  definitions: ReadonlyMap<string, JobDefinition>,
  scope: InterruptedScope,
): Promise<JobRow[]> {
  const recovered: JobRow[] = [];
  for (;;) {
    const rows = await repo.findInterrupted(scope, RECOVERY_BATCH);
    // One statement per distinct outcome: usually one or two per batch.
    const outcomes = new Map<string, { requeue: boolean; message: string; ids: string[] }>();
    for (const row of rows) {
      const definition = definitions.get(row.type);
      const message = definition ? definition.interruptedMessage(toJobRecord(row)) : defaultInterruptedMessage();
      const requeue = (definition?.onInterrupted ?? 'retry') === 'retry' && row.attempts < row.max_attempts;
      const key = `${requeue}:${message}`;
      const outcome = outcomes.get(key) ?? { requeue, message, ids: [] };
      outcome.ids.push(row.id);
      outcomes.set(key, outcome);
    }
    const before = recovered.length;
    const now = Date.now();
    for (const { requeue, message, ids } of outcomes.values()) {
      const patch = requeue ? requeuePatch(message, now) : failedPatch(message, now);
      recovered.push(...(await repo.recover(ids, scope, patch)));
    }
    if (rows.length < RECOVERY_BATCH || recovered.length === before) return recovered;
  }
}
