/** Rule operators and how a value satisfies them (spec §4.3). */
export const RULE_OPERATORS = ['gt', 'lt', 'gte', 'lte', 'eq', 'between', 'not_between'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

/** Upstream compares floats for `eq` with this absolute tolerance. */
const EQUALITY_TOLERANCE = 1e-9;

export interface RuleCondition {
  operator: RuleOperator;
  threshold: number;
  thresholdHigh: number | null;
}

export function conditionMatches(condition: RuleCondition, value: number): boolean {
  const { threshold: low, thresholdHigh: high } = condition;
  switch (condition.operator) {
    case 'gt':
      return value > low;
    case 'lt':
      return value < low;
    case 'gte':
      return value >= low;
    case 'lte':
      return value <= low;
    case 'eq':
      return Math.abs(value - low) < EQUALITY_TOLERANCE;
    case 'between':
      return high !== null && low <= value && value <= high;
    case 'not_between':
      return high !== null && (value < low || value > high);
  }
}

/** Why a rule's thresholds are inconsistent, in upstream's words; undefined when they are fine. */
export function thresholdProblem(condition: RuleCondition): string | undefined {
  if (condition.operator !== 'between' && condition.operator !== 'not_between') return undefined;
  if (condition.thresholdHigh === null) return 'threshold_high is required for between/not_between operators';
  if (condition.thresholdHigh < condition.threshold) return 'threshold_high must be >= threshold';
  return undefined;
}

/** `(<operator> <threshold>[..<threshold_high>])` as the `log` action writes it (spec D13). */
export function describeCondition(condition: RuleCondition, formatNumber: (n: number) => string): string {
  const high = condition.thresholdHigh === null ? '' : `..${formatNumber(condition.thresholdHigh)}`;
  return `${condition.operator} ${formatNumber(condition.threshold)}${high}`;
}
