#!/usr/bin/env node
// `npm test`: every test/**/*.test.ts through node:test with tsx. Node 20's runner takes no glob
// patterns, so the files are listed here. Extra arguments (files or --test-name-pattern=…) pass through.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const explicitFiles = args.filter((a) => !a.startsWith('-'));
const files = explicitFiles.length
  ? explicitFiles
  : readdirSync('test', { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/${f}`)
      .sort();
const options = args.filter((a) => a.startsWith('-'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...options, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
