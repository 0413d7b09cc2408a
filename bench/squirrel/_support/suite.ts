/**
 * `npm run bench:squirrel [id…]`: runs the squirrel scenarios of spec §9 one after another and reports
 * every figure more than 20 % worse than the one recorded in bench/RESULTS.md before the run (the run
 * records its own figures as usual). Exits 1 when something regressed, so it can gate a change.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const REGRESSION_LIMIT = 0.2;
const RESULTS = fileURLToPath(new URL('../../RESULTS.md', import.meta.url));
const RUNNER = fileURLToPath(new URL('../../run.ts', import.meta.url));

/** Each scenario's headline figure, as a path into its JSON line; lower is better for all of them. */
const SCENARIOS: Record<string, string> = {
  'b1-snapshot': 'median_ms',
  'b1r-snapshot-redis': 'redis.median_ms',
  'b2-ca-read': 'median_ms',
  'b3-restore': 'restore_median_ms',
  'b4-search': 'p95_ms',
  'b5-fanout': 'p99_ms',
  'monitor-start': 'median_s',
};

type Summary = Record<string, unknown>;

function figure(summary: Summary | undefined, path: string): number | undefined {
  let value: unknown = summary;
  for (const key of path.split('.')) value = (value as Summary | undefined)?.[key];
  return typeof value === 'number' ? value : undefined;
}

function lastJsonLine(text: string): Summary | undefined {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.trimStart().startsWith('{'));
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Summary;
  } catch {
    return undefined;
  }
}

function recorded(id: string): Summary | undefined {
  if (!fs.existsSync(RESULTS)) return undefined;
  const text = fs.readFileSync(RESULTS, 'utf8');
  const section = text.split(/\n(?=## )/).find((s) => s.startsWith(`## squirrel/${id}\n`));
  return section ? lastJsonLine(section) : undefined;
}

const unknown = process.argv.slice(2).filter((id) => !(id in SCENARIOS));
if (unknown.length) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\nknown: ${Object.keys(SCENARIOS).join(', ')}\n`);
  process.exit(2);
}
const selected = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(SCENARIOS);
const verdicts: string[] = [];
let regressed = false;
for (const id of selected) {
  const metric = SCENARIOS[id]!;
  const before = figure(recorded(id), metric);
  const run = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, `squirrel/${id}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(run.stdout);
  const now = figure(lastJsonLine(run.stdout), metric);
  if (run.status !== 0 || now === undefined) {
    regressed = true;
    verdicts.push(`${id}: FAILED to run (exit ${run.status})`);
  } else if (before === undefined) {
    verdicts.push(`${id}: ${metric} ${now} (nothing recorded before)`);
  } else {
    const change = (now - before) / before;
    const worse = change > REGRESSION_LIMIT;
    regressed ||= worse;
    verdicts.push(`${id}: ${metric} ${before} → ${now} (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %)${worse ? ' REGRESSION (limit +20 %)' : ''}`);
  }
}
process.stdout.write(`\n${verdicts.join('\n')}\n`);
process.exit(regressed ? 1 : 0);
