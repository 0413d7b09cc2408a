import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { CliRegistry, type CliIo } from '../../src/cli/registry.ts';
import { buildRegistry } from '../../src/cli/commands/index.ts';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdout, stderr, stdin: new PassThrough(), env, out: () => out, err: () => err };
}

describe('cli: burrow commands', () => {
  it('--help lists every command', async () => {
    const registry = await buildRegistry();
    const io = capture();
    assert.equal(await registry.run(['--help'], io, new AbortController().signal), 0);
    for (const word of ['serve', 'migrate', 'version']) assert.match(io.out(), new RegExp(`\\b${word}\\b`));
  });

  it('every command answers --help with its usage', async () => {
    const registry = await buildRegistry();
    for (const command of registry.list()) {
      const io = capture();
      assert.equal(await registry.run([...command.path, '--help'], io, new AbortController().signal), 0, command.path.join(' '));
      assert.match(io.out(), new RegExp(`^Usage: burrow ${command.path.join(' ')}`));
    }
  });

  it('an unknown command exits 2 and shows the overview', async () => {
    const registry = await buildRegistry();
    const io = capture();
    assert.equal(await registry.run(['frobnicate'], io, new AbortController().signal), 2);
    assert.match(io.err(), /unknown command 'frobnicate'/);
    assert.match(io.out(), /Commands:/);
  });

  it('an unknown option exits 2 naming it', async () => {
    const registry = await buildRegistry();
    const io = capture();
    assert.equal(await registry.run(['version', '--bogus'], io, new AbortController().signal), 2);
    assert.match(io.err(), /bogus/);
  });

  it('version prints the package version', async () => {
    const registry = await buildRegistry();
    const io = capture();
    assert.equal(await registry.run(['version'], io, new AbortController().signal), 0);
    assert.match(io.out(), /^burrow \d+\.\d+\.\d+ \(node v\d+/);
  });

  it('serve with a bad setting exits 78 naming the variable', async () => {
    const registry = await buildRegistry();
    const io = capture({ BURROW_PORT: 'eighty' });
    assert.equal(await registry.run(['serve'], io, new AbortController().signal), 78);
    assert.match(io.err(), /BURROW_PORT: must be an integer/);
  });

  it('app commands nest under the app id and duplicates are refused', async () => {
    const registry = new CliRegistry();
    const run = async () => 0;
    registry.add({ path: ['notes', 'list'], summary: 'list notes', run });
    assert.throws(() => registry.add({ path: ['notes', 'list'], summary: 'again', run }), /duplicate/);
    const io = capture();
    assert.equal(await registry.run(['notes'], io, new AbortController().signal), 2);
    assert.match(io.out(), /notes list/);
  });
});
