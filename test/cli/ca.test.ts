import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { CliRegistry } from '../../src/cli/registry.ts';
import { registerCaCommands } from '../../src/cli/commands/ca.ts';
import { SoftIoc, generatedPvDefinitions } from '../../src/connectors/epics/softioc/index.ts';
import { freeUdpPort } from '../connectors/epics/client-harness.ts';

let ioc: SoftIoc;
let env: NodeJS.ProcessEnv;
const registry = new CliRegistry();
registerCaCommands(registry);

before(async () => {
  const repeaterPort = await freeUdpPort();
  ioc = new SoftIoc({ definitions: generatedPvDefinitions(2, 'C:'), port: 0, beaconPort: repeaterPort, simRateScale: 0 });
  await ioc.start();
  env = { EPICS_CA_ADDR_LIST: `127.0.0.1:${ioc.port}`, EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_REPEATER_PORT: String(repeaterPort) };
});

after(async () => {
  await ioc.close();
});

/** a stream that keeps what is written and can wait for a line matching a pattern */
function capture() {
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(text)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      done();
    },
  });
  return {
    stream,
    get text() {
      return text;
    },
    until(pattern: RegExp): Promise<void> {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

async function run(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; stdout?: ReturnType<typeof capture>; stderr?: ReturnType<typeof capture> } = {},
) {
  const stdout = options.stdout ?? capture();
  const stderr = options.stderr ?? capture();
  const code = await registry.run(argv, { stdout: stdout.stream, stderr: stderr.stream, stdin: new PassThrough(), env: options.env ?? env }, options.signal ?? new AbortController().signal);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const pad = (name: string) => name.padEnd(30);

test('ca get prints one `NAME value` line per PV, enums as labels and arrays with their count', async () => {
  const result = await run(['ca', 'get', 'C:1:SP', 'C:STR', 'C:ENUM', 'C:LONG']);
  assert.deepEqual(result, { code: 0, stdout: `${pad('C:1:SP')} 0.1\n${pad('C:STR')} hello\n${pad('C:ENUM')} Off\n${pad('C:LONG')} 42\n`, stderr: '' });
  const waveform = await run(['ca', 'get', 'C:WF']);
  assert.match(waveform.stdout, new RegExp(`^${pad('C:WF')} 1024 (-?[\\d.e-]+ ){1023}-?[\\d.e-]+\\n$`));
});

test('ca get --type time adds the stamp and, when in alarm, the status and severity', async () => {
  ioc.alarm('C:2:SP', 'HIGH', 'MINOR');
  const result = await run(['ca', 'get', '--type', 'time', 'C:1:SP', 'C:2:SP']);
  const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z';
  assert.equal(result.code, 0);
  assert.match(result.stdout, new RegExp(`^${pad('C:1:SP')} ${stamp} 0\\.1\\n${pad('C:2:SP')} ${stamp} 0\\.2 HIGH MINOR\\n$`));
  ioc.alarm('C:2:SP', 0, 0);
});

test('ca get --type ctrl prints the metadata block caget -d prints', async () => {
  const result = await run(['ca', 'get', '--type', 'ctrl', 'C:1:SP']);
  assert.equal(result.code, 0);
  const lines = result.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 9), [
    'C:1:SP',
    '    Native data type: DBF_DOUBLE',
    '    Request type:     DBR_CTRL_DOUBLE',
    '    Element count:    1',
    '    Value:            0.1',
    '    Status:           NO_ALARM',
    '    Severity:         NO_ALARM',
    '    Units:            A',
    '    Precision:        3',
  ]);
  assert.ok(lines.includes('    upperCtrlLimit:   1000'));
});

test('ca get --json prints one JSON object per PV', async () => {
  const result = await run(['ca', 'get', '--json', '--type', 'time', 'C:LONG', 'C:ENUM']);
  assert.equal(result.code, 0);
  const [long, enumPv] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual({ ...long, timestamp: typeof long.timestamp }, { pv: 'C:LONG', value: 42, count: 1, type: 'DBF_LONG', status: 'NO_ALARM', severity: 'NO_ALARM', timestamp: 'string' });
  assert.equal(enumPv.value, 'Off');
});

test('ca get exits 1 and names each PV that cannot be reached, still printing the others', async () => {
  const text = await run(['ca', 'get', '-w', '0.3', 'C:1:SP', 'C:NOPE']);
  assert.equal(text.code, 1);
  assert.equal(text.stdout, `${pad('C:1:SP')} 0.1\n`);
  assert.equal(text.stderr, 'ECA_TIMEOUT: User specified timeout on IO operation expired (C:NOPE: channel not found within 0.3 s)\n');
  const json = await run(['ca', 'get', '--json', '-w', '0.3', 'C:NOPE']);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), { pv: 'C:NOPE', error: 'ECA_TIMEOUT: User specified timeout on IO operation expired (C:NOPE: channel not found within 0.3 s)' });
});

test('ca put prints the old and new values; numbers, enum labels and arrays are written', async () => {
  assert.deepEqual(await run(['ca', 'put', 'C:2:SP', '5.5']), { code: 0, stdout: `Old : ${pad('C:2:SP')} 0.2\nNew : ${pad('C:2:SP')} 5.5\n`, stderr: '' });
  assert.deepEqual(await run(['ca', 'put', '--wait', 'C:ENUM', 'Standby']), { code: 0, stdout: `Old : ${pad('C:ENUM')} Off\nNew : ${pad('C:ENUM')} Standby\n`, stderr: '' });
  const array = await run(['ca', 'put', '-c', '--json', 'C:WF', '1', '2', '3']);
  assert.equal(array.code, 0);
  assert.deepEqual(JSON.parse(array.stdout).new, [1, 2, 3]);
  assert.deepEqual(ioc.database.get('C:WF')!.value, [1, 2, 3]);
  assert.deepEqual(await run(['ca', 'put', 'C:STR', 'two words']), { code: 0, stdout: `Old : ${pad('C:STR')} hello\nNew : ${pad('C:STR')} two words\n`, stderr: '' });
});

test('ca put exits 1 with the CA message when the write is refused or the PV is missing', async () => {
  assert.deepEqual(await run(['ca', 'put', 'C:RO', '1']), { code: 1, stdout: '', stderr: 'ECA_NOWTACCESS: Write access denied (C:RO)\n' });
  assert.deepEqual(await run(['ca', 'put', '--wait', 'C:REJECT', '1']), { code: 1, stdout: '', stderr: 'ECA_PUTFAIL: Channel write request failed (C:REJECT)\n' });
  const missing = await run(['ca', 'put', '-w', '0.2', 'C:NOPE', '1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /C:NOPE: channel not found within 0\.2 s/);
});

test('ca monitor prints each update until interrupted, and exits 1 when a PV was never reached', async () => {
  const controller = new AbortController();
  const stdout = capture();
  const stderr = capture();
  const running = run(['ca', 'monitor', '-w', '0.3', 'C:1:RB', 'C:LONG', 'C:NOPE'], { signal: controller.signal, stdout, stderr });
  await stdout.until(/C:LONG .* 42\n/);
  ioc.set('C:LONG', 43);
  await stdout.until(/C:LONG .* 43\n/);
  ioc.drop();
  // the monitor is re-subscribed by itself: the current value arrives again
  await stdout.until(/C:LONG {24} \*\*\* disconnected\n(?:.*\n)*?C:LONG .* 43\n/);
  ioc.set('C:LONG', 44);
  await stdout.until(/C:LONG .* 44\n/);
  await stderr.until(/C:NOPE/);
  controller.abort();
  const result = await running;
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'ECA_TIMEOUT: User specified timeout on IO operation expired (C:NOPE: channel not found within 0.3 s)\n');
  const longLines = result.stdout.split('\n').filter((line) => line.startsWith('C:LONG'));
  assert.match(longLines[0]!, /^C:LONG {25}\d{4}-\d\d-\d\dT[\d:.]+Z 42$/);
  assert.deepEqual(longLines.slice(1).map((line) => line.split(' ').at(-1)), ['43', 'disconnected', '43', '44']);
});

test('ca info prints state, server, access, native type and count like cainfo', async () => {
  const result = await run(['ca', 'info', 'C:RO']);
  assert.deepEqual(result, {
    code: 0,
    stdout: [
      'C:RO',
      '    State:            connected',
      `    Host:             127.0.0.1:${ioc.port}`,
      '    Access:           read, no write',
      '    Native data type: DBF_DOUBLE',
      '    Request type:     DBR_DOUBLE',
      '    Element count:    1',
      '',
    ].join('\n'),
    stderr: '',
  });
  const missing = await run(['ca', 'info', '--json', '-w', '0.2', 'C:NOPE']);
  assert.equal(missing.code, 1);
  assert.deepEqual(JSON.parse(missing.stdout), { pv: 'C:NOPE', state: 'never connected', host: null, access: { read: false, write: false }, native_type: null, count: 0 });
});

test('usage errors exit 2 and bad EPICS settings exit 78, each with a message', async () => {
  assert.deepEqual(await run(['ca', 'get']), { code: 2, stdout: '', stderr: 'burrow ca: expected at least one PV name\n' });
  assert.deepEqual(await run(['ca', 'put', 'C:1:SP']), { code: 2, stdout: '', stderr: 'burrow ca: expected a PV name and a value\n' });
  assert.deepEqual(await run(['ca', 'get', '--type', 'gr', 'C:1:SP']), { code: 2, stdout: '', stderr: "burrow ca: --type must be one of plain, time, ctrl, got 'gr'\n" });
  assert.deepEqual(await run(['ca', 'get', '-w', 'soon', 'C:1:SP']), { code: 2, stdout: '', stderr: "burrow ca: --timeout must be a positive number of seconds, got 'soon'\n" });
  assert.deepEqual(await run(['ca', 'get', 'C:1:SP'], { env: { ...env, EPICS_CA_SERVER_PORT: 'abc' } }), {
    code: 78,
    stdout: '',
    stderr: 'burrow ca: invalid configuration: EPICS_CA_SERVER_PORT: must be an integer, got "abc"\n',
  });
});
