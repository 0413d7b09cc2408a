import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import dgram from 'node:dgram';
import { PassThrough } from 'node:stream';
import { CliRegistry, type CliIo } from '../../../src/cli/registry.ts';
import { registerCaRepeaterCommand } from '../../../src/cli/commands/ca-repeater.ts';
import { registerSoftIocCommands } from '../../../src/cli/commands/soft-ioc.ts';
import { echoMessage } from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_ECHO } from '../../../src/connectors/epics/ca/constants.ts';
import { RawCircuit } from './server-harness.ts';

function registry(): CliRegistry {
  const commands = new CliRegistry();
  registerSoftIocCommands(commands);
  registerCaRepeaterCommand(commands);
  return commands;
}

interface Run {
  io: CliIo;
  stdin: PassThrough;
  lines: AsyncIterator<string>;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
  abort: AbortController;
}

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Run {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  const lines = readline.createInterface({ input: stdout })[Symbol.asyncIterator]();
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const io: CliIo = { stdin, stdout, stderr, env };
  const abort = new AbortController();
  return { io, stdin, lines, stdout: () => out, stderr: () => err, exit: registry().run(argv, io, abort.signal), abort };
}

async function nextJson(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const next = await lines.next();
  assert.equal(next.done, false, 'the command ended without printing');
  return JSON.parse(next.value) as Record<string, unknown>;
}

function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-softioc-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('burrow soft-ioc', () => {
  it('--list prints the generated names one per line and exits 0', async () => {
    const listing = run(['soft-ioc', '--generate', '2', '--prefix', 'X:', '--list']);
    assert.equal(await listing.exit, 0);
    assert.equal(listing.stdout(), ['X:1:SP', 'X:1:RB', 'X:2:SP', 'X:2:RB', 'X:STR', 'X:ENUM', 'X:LONG', 'X:SHORT', 'X:FLOAT', 'X:CHAR', 'X:WF', 'X:RO', 'X:REJECT', ''].join('\n'));
  });

  it('--list reads JSON and .db files (with macros), and warns on stderr about what it skips', async () => {
    const json = tempFile('pvs.json', JSON.stringify({ prefix: 'J:', pvs: [{ name: 'A' }, { name: 'B', type: 'string' }] }));
    const db = tempFile('pvs.db', 'record(ai, "$(P)T") { field(EGU, "K") field(MDEL, "1") }');
    const listing = run(['soft-ioc', '--json', json, '--db', db, '--macros', 'P=D:', '--list']);
    assert.equal(await listing.exit, 0);
    assert.equal(listing.stdout(), 'J:A\nJ:B\nD:T\nD:T.EGU\n');
    assert.equal(listing.stderr(), 'soft-ioc: warning: D:T.MDEL is not supported for ai; ignored\n');
  });

  it('exits 1 with a clear message without a PV source, with a bad file or a bad flag value', async () => {
    const none = run(['soft-ioc', '--port', '0']);
    assert.equal(await none.exit, 1);
    assert.equal(none.stderr(), 'burrow soft-ioc: give the PVs to serve: --json FILE, --db FILE or --generate N\n');
    const badPort = run(['soft-ioc', '--generate', '1', '--port', 'high']);
    assert.equal(await badPort.exit, 1);
    assert.equal(badPort.stderr(), "burrow soft-ioc: --port must be a whole number from 0 to 65535, got 'high'\n");
    const badFile = run(['soft-ioc', '--json', tempFile('bad.json', '{"pvs":[{"name":"A","type":"blob"}]}')]);
    assert.equal(await badFile.exit, 1);
    assert.match(badFile.stderr(), /bad\.json pvs\[0\] 'A': type must be one of/);
    assert.equal(await run(['soft-ioc', '--bogus']).exit, 2);
  });

  it('prints a ready line, answers JSON control lines, logs frames, and stops when stdin ends', async () => {
    const frames = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-frames-')), 'frames.log');
    const ioc = run(['soft-ioc', '--generate', '1', '--port', '0', '--control', 'stdin', '--log-frames', frames], { EPICS_CAS_BEACON_ADDR_LIST: '127.0.0.1:9' });
    const ready = await nextJson(ioc.lines);
    assert.deepStrictEqual([ready.event, ready.pvs], ['ready', 11]);
    const circuit = await RawCircuit.open(ready.port as number);
    circuit.send(echoMessage());
    await circuit.next(CA_PROTO_ECHO);
    ioc.stdin.write('{"cmd":"set","name":"SIM:1:SP","value":7,"id":"a"}\nnot json\n{"cmd":"stats"}\n');
    assert.deepStrictEqual(await nextJson(ioc.lines), { ok: true, id: 'a' });
    assert.deepStrictEqual(await nextJson(ioc.lines), { ok: false, error: 'invalid JSON: Unexpected token \'o\', "not json" is not valid JSON' });
    const stats = (await nextJson(ioc.lines)).stats as Record<string, unknown>;
    assert.deepStrictEqual([stats.circuits, stats.pvs], [1, 11]);
    ioc.stdin.end();
    assert.equal(await ioc.exit, 0);
    await circuit.waitClosed();
    const logged = fs.readFileSync(frames, 'utf8').trim().split('\n').map((line) => line.split(' '));
    assert.ok(logged.some(([, direction, transport, , hex]) => direction === 'in' && transport === 'tcp' && hex === echoMessage().toString('hex')));
    assert.ok(logged.some(([, direction, transport]) => direction === 'out' && transport === 'tcp'));
  });

  it('stops on SIGTERM (the abort signal) without --control', async () => {
    const ioc = run(['soft-ioc', '--generate', '1', '--port', '0', '--bind', '127.0.0.1']);
    assert.equal((await nextJson(ioc.lines)).event, 'ready');
    ioc.abort.abort();
    assert.equal(await ioc.exit, 0);
  });
});

describe('burrow ca-repeater', () => {
  it('prints a ready line with its port and stops on the abort signal', async () => {
    const repeater = run(['ca-repeater', '--port', '0', '--bind', '127.0.0.1']);
    const ready = await nextJson(repeater.lines);
    assert.equal(ready.event, 'ready');
    assert.ok((ready.port as number) > 0);
    repeater.abort.abort();
    assert.equal(await repeater.exit, 0);
  });

  it('exits 1 when the port is taken, and 2 for a port that is not a number', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const taken = run(['ca-repeater', '--port', String(holder.address().port), '--bind', '127.0.0.1']);
    assert.equal(await taken.exit, 1);
    assert.match(taken.stderr(), /port \d+ is taken \(a repeater is probably running already\)/);
    holder.close();
    const bad = run(['ca-repeater'], { EPICS_CA_REPEATER_PORT: 'x' });
    assert.equal(await bad.exit, 2);
    assert.equal(bad.stderr(), "burrow ca-repeater: the port must be a number from 0 to 65535, got 'x'\n");
  });
});
