/**
 * `npm run bench -- <scenario>`: runs bench/<scenario>.ts (scenarios may live in subfolders, e.g.
 * `squirrel/snapshot`). Each scenario exports `run()`, prints its figures and the limit they are compared
 * with, measured in the same run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function scenarios(dir = here, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      if (entry.name.startsWith('_')) return [];
      if (entry.isDirectory()) return scenarios(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      if (!entry.name.endsWith('.ts') || entry.name === 'run.ts') return [];
      return [`${prefix}${entry.name.slice(0, -3)}`];
    })
    .sort();
}

const name = process.argv[2];
const available = scenarios();
if (!name || !available.includes(name)) {
  process.stderr.write(`${name ? `unknown scenario '${name}'\n` : ''}usage: npm run bench -- <scenario>\nscenarios:\n${available.map((s) => `  ${s}`).join('\n')}\n`);
  process.exit(name ? 2 : 0);
}
const scenario = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as { run(): Promise<void> };
await scenario.run();
