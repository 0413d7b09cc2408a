import fs from 'node:fs';
import os from 'node:os';

const RESULTS = new URL('../RESULTS.md', import.meta.url);

/**
 * Replaces the scenario's section in bench/RESULTS.md with today's figures and the machine they ran on.
 * `BENCH_RECORD=0` leaves the file alone (exploratory runs).
 */
export function recordResult(scenario: string, lines: readonly string[]): void {
  if (process.env.BENCH_RECORD === '0') return;
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  const section = [`## ${scenario}`, '', `${new Date().toISOString().slice(0, 10)} — ${machine}`, '', '```', ...lines, '```', ''].join('\n');
  const current = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nRecorded by `npm run bench -- <scenario>`.\n\n';
  const pattern = new RegExp(`## ${scenario.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = pattern.test(current) ? current.replace(pattern, section.trimEnd() + '\n') : `${current.trimEnd()}\n\n${section}`;
  fs.writeFileSync(RESULTS, next);
}
