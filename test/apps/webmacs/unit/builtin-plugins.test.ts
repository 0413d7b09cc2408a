import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import { BUILTIN_PLUGINS, builtinPlugin } from '../../../../src/apps/webmacs/plugins/builtin/index.ts';

const simulated = builtinPlugin('simulated')!;
const system = builtinPlugin('system')!;

async function readTicks(pluginId: string, instanceName: string, ticks: number, demoMode = true) {
  const device = builtinPlugin(pluginId)!.createDevice({ instanceName, demoMode, config: null });
  const out: Array<Map<string, number>> = [];
  for (let i = 0; i < ticks; i++) out.push(await device.read(1_000_000 + i * 1000));
  return out;
}

describe('built-in plugins (spec §4.5)', () => {
  it('§12.83 exposes simulated and system with their metadata', () => {
    assert.deepEqual(
      BUILTIN_PLUGINS.map((p) => [p.id, p.name, p.version, p.vendor, p.channels.length]),
      [
        ['simulated', 'Simulated Device', '0.2.0', 'WebMACS', 9],
        ['system', 'System Monitor', '0.1.0', 'WebMACS', 7],
      ],
    );
    assert.equal(simulated.channels.filter((c) => c.direction === 'input').length, 7);
    assert.deepEqual(simulated.channels.filter((c) => c.direction === 'output').map((c) => c.id), ['heater_power', 'valve_position']);
  });

  it('§12.94 simulated readings stay in channel ranges, are rounded to 3 decimals and cover the 7 inputs', async () => {
    for (const readings of await readTicks('simulated', 'Rig A', 200)) {
      assert.equal(readings.size, 7);
      for (const channel of simulated.channels) {
        const value = readings.get(channel.id);
        if (channel.direction === 'output') {
          assert.equal(value, undefined);
          continue;
        }
        assert.ok(value !== undefined && value >= channel.minValue && value <= channel.maxValue, `${channel.id}=${value}`);
        assert.equal(Math.round(value * 1000) / 1000, value);
      }
    }
  });

  it('§12.94 two instances with the same name produce the same sequence; another name differs', async () => {
    const a = await readTicks('simulated', 'Rig A', 50);
    const b = await readTicks('simulated', 'Rig A', 50);
    const c = await readTicks('simulated', 'Rig B', 50);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('simulated follows its sine profile around the base at t = 0', async () => {
    const [first] = await readTicks('simulated', 'Rig A', 1);
    // temp_reactor: sine (260, 120, 120 s, noise 0.5) → sin(0) = 0, so within a few σ of 260
    assert.ok(Math.abs(first!.get('temp_reactor')! - 260) < 3);
  });

  it('simulated actuators start at their safe value and record writes', () => {
    const device = simulated.createDevice({ instanceName: 'x', demoMode: true, config: null });
    assert.deepEqual([...device.written], [['heater_power', 0], ['valve_position', 0]]);
    device.write('heater_power', 42);
    assert.equal(device.written.get('heater_power'), 42);
  });

  it('§12.95 system in real mode reports host cpu, memory, disk and load within tolerance', async () => {
    const device = system.createDevice({ instanceName: 'host', demoMode: false, config: null });
    const first = await device.read(Date.now());
    assert.equal(first.has('cpu_percent'), false, 'the first tick only primes the CPU counters');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await device.read(Date.now());
    const cpu = second.get('cpu_percent');
    assert.ok(cpu !== undefined && cpu >= 0 && cpu <= 100);
    const memoryUsedGb = (os.totalmem() - os.freemem()) / 1024 ** 3;
    assert.ok(Math.abs(second.get('memory_used_gb')! - memoryUsedGb) < Math.max(1, memoryUsedGb * 0.5));
    const stats = await fs.statfs('/');
    const used = (stats.blocks - stats.bfree) * stats.bsize;
    const diskPercent = (used / (used + stats.bavail * stats.bsize)) * 100;
    assert.ok(Math.abs(second.get('disk_percent')! - diskPercent) < 1);
    assert.ok(Math.abs(second.get('load_avg_1m')! - os.loadavg()[0]!) < 2);
  });

  it('system in demo mode simulates all 7 channels', async () => {
    const [readings] = await readTicks('system', 'demo host', 1);
    assert.deepEqual([...readings!.keys()].sort(), system.channels.map((c) => c.id).sort());
  });
});
