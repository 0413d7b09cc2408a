import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { EventBus } from '../../../core/events/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { pythonFloatRepr } from '../experiments/csv.ts';
import { CONFIG_TOPIC } from '../ingestion/event-index.ts';
import { latestPerEvent, type AcceptedPoint } from '../ingestion/pipeline.ts';
import { newPublicId } from '../ids.ts';
import { nowMicros } from '../time.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import type { WebhookEventType } from '../webhooks/schemas.ts';
import { conditionMatches, describeCondition, type RuleCondition, type RuleOperator } from './conditions.ts';
import type { RuleRow, RulesRepo } from './repo.ts';

export interface RuleEvaluatorOptions {
  database: AppDatabase<WebmacsDatabase>;
  repo: RulesRepo;
  webhooks: WebhookDispatcher;
  bus: EventBus;
  logger: Logger;
  /** `webmacs_rule_triggers_total{action}` */
  triggers: Counter<'action'>;
}

const conditionOf = (rule: RuleRow): RuleCondition => ({ operator: rule.operator as RuleOperator, threshold: rule.threshold, thresholdHigh: rule.threshold_high });

/**
 * Threshold rules (spec §4.3): enabled rules cached per event, evaluated once per event per batch with
 * its latest value; a match fires only through the cooldown claim, and its webhook deliveries or log
 * entry are written in the claim's transaction.
 */
export class RuleEvaluator {
  private loading: Promise<Map<number, RuleRow[]>> | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RuleEvaluatorOptions) {
    const { bus } = options;
    this.unsubscribe = bus.subscribe(CONFIG_TOPIC, (message) => {
      if (message.origin !== bus.instanceId) this.loading = undefined;
    });
  }

  invalidate(): void {
    this.loading = undefined;
    this.options.bus.publish(CONFIG_TOPIC, { reason: 'rules' });
  }

  close(): void {
    this.unsubscribe();
  }

  async evaluate(accepted: readonly AcceptedPoint[]): Promise<void> {
    const byEvent = await this.rulesByEvent();
    for (const point of latestPerEvent(accepted)) {
      for (const rule of byEvent.get(point.event.id) ?? []) {
        if (conditionMatches(conditionOf(rule), point.value)) await this.fire(rule, point);
      }
    }
  }

  private rulesByEvent(): Promise<Map<number, RuleRow[]>> {
    this.loading ??= this.options.repo.enabled().then((rules) => {
      const byEvent = new Map<number, RuleRow[]>();
      for (const rule of rules) byEvent.set(rule.event_id, [...(byEvent.get(rule.event_id) ?? []), rule]);
      return byEvent;
    });
    return this.loading;
  }

  private async fire(rule: RuleRow, point: AcceptedPoint): Promise<void> {
    const { database, repo, webhooks, logger } = this.options;
    const now = nowMicros();
    const fired = await database.transaction(async (trx) => {
      if (!(await repo.claim(trx, rule.id, now, rule.cooldown_seconds))) return false;
      if (rule.action_type === 'webhook') {
        await webhooks.emitWithin(trx, (rule.webhook_event_type ?? 'sensor.threshold_exceeded') as WebhookEventType, {
          time: point.ts,
          sensor: point.event.publicId,
          value: point.value,
          rule: rule.name,
          operator: rule.operator,
          threshold: rule.threshold,
          threshold_high: rule.threshold_high,
          rule_public_id: rule.public_id,
          event_name: point.event.name,
          unit: point.event.unit,
        });
      } else {
        const condition = describeCondition(conditionOf(rule), pythonFloatRepr);
        await trx
          .insertInto('log_entries')
          .values({
            public_id: newPublicId('log'),
            content: `Rule '${rule.name}' triggered: ${point.event.name} = ${pythonFloatRepr(point.value)} ${point.event.unit} (${condition}).`,
            logging_type: 'warning',
            status_type: 'unread',
            created_on: now,
            user_id: rule.user_id,
          })
          .execute();
      }
      return true;
    });
    if (!fired) return;
    this.options.triggers.inc({ action: rule.action_type });
    logger.info({ rule: rule.public_id, action: rule.action_type }, 'rule triggered');
  }
}
