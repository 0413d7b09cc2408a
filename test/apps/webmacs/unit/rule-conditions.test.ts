import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionMatches, describeCondition, thresholdProblem, type RuleCondition } from '../../../../src/apps/webmacs/rules/conditions.ts';

const rule = (operator: RuleCondition['operator'], threshold: number, thresholdHigh: number | null = null): RuleCondition => ({ operator, threshold, thresholdHigh });

describe('rule conditions (spec §4.3)', () => {
  it('§12.69 evaluates the operator table', () => {
    const table: Array<[RuleCondition, number, boolean]> = [
      [rule('gt', 50), 50.0001, true],
      [rule('gt', 50), 50, false],
      [rule('lt', 50), 49.9, true],
      [rule('lt', 50), 50, false],
      [rule('gte', 50), 50, true],
      [rule('gte', 50), 49.99, false],
      [rule('lte', 50), 50, true],
      [rule('lte', 50), 50.01, false],
      [rule('eq', 0.3), 0.1 + 0.2, true],
      [rule('eq', 50), 50 + 1e-8, false],
      [rule('between', 10, 20), 10, true],
      [rule('between', 10, 20), 20, true],
      [rule('between', 10, 20), 20.001, false],
      [rule('between', 10, null), 15, false],
      [rule('not_between', 10, 20), 9.99, true],
      [rule('not_between', 10, 20), 20.5, true],
      [rule('not_between', 10, 20), 10, false],
      [rule('not_between', 10, null), 5, false],
    ];
    for (const [condition, value, expected] of table) {
      assert.equal(conditionMatches(condition, value), expected, `${condition.operator} ${condition.threshold}..${condition.thresholdHigh} on ${value}`);
    }
  });

  it('§12.67 requires threshold_high ≥ threshold for between operators only', () => {
    assert.equal(thresholdProblem(rule('between', 1)), 'threshold_high is required for between/not_between operators');
    assert.equal(thresholdProblem(rule('not_between', 5, 4)), 'threshold_high must be >= threshold');
    assert.equal(thresholdProblem(rule('between', 5, 5)), undefined);
    assert.equal(thresholdProblem(rule('gt', 5, 1)), undefined);
  });

  it('describes a condition the way the log action writes it', () => {
    assert.equal(describeCondition(rule('between', 1, 2.5), String), 'between 1..2.5');
    assert.equal(describeCondition(rule('gt', 50), String), 'gt 50');
  });
});
