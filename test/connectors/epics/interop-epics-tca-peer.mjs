// npm epics-tca driven by JSON lines, in a plain Node process: under the test runner's TypeScript
// loader its repeater worker thread never terminates, which would keep the test process alive.
// Commands (`op`): get {name, type: native|time|ctrl}, put {name, value}, monitor {name, id},
// events {id, min, timeout}, quit. The first line printed is {"ready": true}.
import process from 'node:process';
import readline from 'node:readline';
import { setTimeout } from 'node:timers';
import { Context, type_log_levels } from 'epics-tca';

const print = (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`);

const context = new Context(JSON.parse(process.argv[2]), type_log_levels.fatal);
const channels = new Map();
const monitors = new Map();

async function channel(name) {
  if (!channels.has(name)) {
    const created = await context.createChannel(name, 'ca', 5);
    if (!created) throw new Error(`cannot connect to ${name}`);
    channels.set(name, created);
  }
  return channels.get(name);
}

const handlers = {
  async get({ name, type = 'native' }) {
    const ch = await channel(name);
    const dbrType = { native: ch.getDbrType(), time: ch.getDbrType_TIME(), ctrl: ch.getDbrType_CTRL() }[type];
    const data = await ch.get(5, dbrType);
    return data ? { ok: true, data } : { ok: false, error: 'get failed' };
  },
  async put({ name, value }) {
    const status = await (await channel(name)).put(value, 5, true);
    return { ok: true, status: status ?? null };
  },
  async monitor({ name, id }) {
    const ch = await channel(name);
    const monitor = { values: [], waiters: [] };
    monitors.set(id, monitor);
    const created = await ch.createMonitor(5, () => {
      monitor.values.push(ch.getDbrData().value);
      for (const wake of monitor.waiters.splice(0)) wake();
    });
    return { ok: created !== undefined };
  },
  async events({ id, min = 1, timeout = 5 }) {
    const monitor = monitors.get(id);
    const deadline = Date.now() + timeout * 1000;
    while (monitor.values.length < min && Date.now() < deadline) {
      await new Promise((resolve) => {
        monitor.waiters.push(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
    }
    return { ok: true, values: monitor.values.splice(0) };
  },
};

await context.initialize();
print({ ready: true });
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  if (command.op === 'quit') break;
  try {
    print(await handlers[command.op](command));
  } catch (err) {
    print({ ok: false, error: String(err?.message ?? err) });
  }
}
context.destroyHard();
process.exit(0);
