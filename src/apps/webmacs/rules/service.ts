import type { AppDatabase } from '../../../core/db/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors, valueError } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import type { Lab } from '../ingestion/index.ts';
import { isoZ, isoZOrNull, nowMicros } from '../time.ts';
import { thresholdProblem, type RuleOperator } from './conditions.ts';
import type { RuleRow, RulesRepo } from './repo.ts';
import type { RuleCreateBody, RuleUpdateBody } from './schemas.ts';

export function toRuleJson(row: RuleRow) {
  return {
    public_id: row.public_id,
    name: row.name,
    event_public_id: row.event_public_id,
    operator: row.operator,
    threshold: row.threshold,
    threshold_high: row.threshold_high,
    action_type: row.action_type,
    webhook_event_type: row.webhook_event_type,
    enabled: Boolean(row.enabled),
    cooldown_seconds: row.cooldown_seconds,
    last_triggered_at: isoZOrNull(row.last_triggered_at),
    created_on: isoZ(row.created_on),
    user_public_id: row.user_public_id,
  };
}

export interface RulesServiceDeps {
  repo: RulesRepo;
  database: AppDatabase<WebmacsDatabase>;
  lab: Lab;
}

/** `/api/v1/rules` (spec §3.11, admin). */
export function rulesService({ repo, database, lab }: RulesServiceDeps) {
  async function get(publicId: string): Promise<RuleRow> {
    const row = isPublicId('rul', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.notFound('Rule', publicId);
    return row;
  }

  function checkThresholds(operator: string, threshold: number, thresholdHigh: number | null, body: unknown): void {
    const problem = thresholdProblem({ operator: operator as RuleOperator, threshold, thresholdHigh });
    if (problem) throw valueError(['body'], problem, body);
  }

  async function eventId(publicId: string): Promise<number> {
    const event = await lab.events.get(publicId);
    if (!event) throw errors.eventNotFound();
    return event.id;
  }

  async function unique(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (database.dialect.isUniqueViolation(err)) throw errors.conflict('Rule');
      throw err;
    }
  }

  return {
    get: async (publicId: string) => toRuleJson(await get(publicId)),

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: rows.map(toRuleJson) };
    },

    async create(userId: number, body: RuleCreateBody): Promise<string> {
      checkThresholds(body.operator, body.threshold, body.threshold_high ?? null, body);
      const event = await eventId(body.event_public_id);
      const publicId = newPublicId('rul');
      await unique(() =>
        repo.insert({
          public_id: publicId,
          name: body.name,
          event_id: event,
          operator: body.operator,
          threshold: body.threshold,
          threshold_high: body.threshold_high ?? null,
          action_type: body.action_type,
          webhook_event_type: body.webhook_event_type ?? null,
          enabled: body.enabled ?? true,
          cooldown_seconds: body.cooldown_seconds ?? 60,
          last_triggered_at: null,
          created_on: nowMicros(),
          user_id: userId,
        }),
      );
      lab.rules.invalidate();
      return publicId;
    },

    /** The merged rule is validated again (spec §3.11). */
    async update(publicId: string, body: RuleUpdateBody): Promise<void> {
      const row = await get(publicId);
      const thresholdHigh = body.threshold_high === undefined ? row.threshold_high : body.threshold_high;
      checkThresholds(body.operator ?? row.operator, body.threshold ?? row.threshold, thresholdHigh, body);
      const event = body.event_public_id === undefined ? undefined : await eventId(body.event_public_id);
      await unique(() =>
        repo.update(row.id, {
          name: body.name,
          event_id: event,
          operator: body.operator,
          threshold: body.threshold,
          threshold_high: body.threshold_high,
          action_type: body.action_type,
          webhook_event_type: body.webhook_event_type,
          enabled: body.enabled,
          cooldown_seconds: body.cooldown_seconds,
        }),
      );
      lab.rules.invalidate();
    },

    async delete(publicId: string): Promise<void> {
      const row = await get(publicId);
      await repo.delete(row.id);
      lab.rules.invalidate();
    },
  };
}
