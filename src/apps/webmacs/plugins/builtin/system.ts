import { CpuUsage, cpuTemperature, diskUsage, loadAverage, memoryUsage } from './host-metrics.ts';
import { SignalGenerator, type SimulatedChannel } from './signals.ts';
import type { BuiltinPlugin, DeviceOptions, PluginDevice } from './types.ts';

const channels: readonly SimulatedChannel[] = [
  { id: 'cpu_percent', name: 'CPU Usage', direction: 'input', unit: '%', minValue: 0, maxValue: 100, profile: { kind: 'sine', base: 35, amp: 25, period: 60, noise: 3 } },
  { id: 'memory_percent', name: 'Memory Usage', direction: 'input', unit: '%', minValue: 0, maxValue: 100, profile: { kind: 'walk', base: 55, amp: 10, noise: 1 } },
  { id: 'memory_used_gb', name: 'Memory Used', direction: 'input', unit: 'GB', minValue: 0, maxValue: 128, profile: { kind: 'walk', base: 4, amp: 1.5, noise: 0.1 } },
  { id: 'disk_percent', name: 'Disk Usage', direction: 'input', unit: '%', minValue: 0, maxValue: 100, profile: { kind: 'constant', base: 42, noise: 0.1 } },
  { id: 'disk_used_gb', name: 'Disk Used', direction: 'input', unit: 'GB', minValue: 0, maxValue: 10000, profile: { kind: 'constant', base: 120, noise: 0.5 } },
  { id: 'load_avg_1m', name: 'Load Average (1 min)', direction: 'input', unit: 'load', minValue: 0, maxValue: 256, profile: { kind: 'walk', base: 1.2, amp: 0.8, noise: 0.1 } },
  { id: 'cpu_temp', name: 'CPU Temperature', direction: 'input', unit: '°C', minValue: 0, maxValue: 110, profile: { kind: 'sine', base: 55, amp: 10, period: 120, noise: 0.5 } },
];

function createHostDevice(): PluginDevice {
  const cpu = new CpuUsage();
  return {
    async read() {
      const [memory, disk, temperature] = await Promise.all([memoryUsage(), diskUsage(), cpuTemperature()]);
      const readings = new Map<string, number>([
        ['memory_percent', memory.percent],
        ['memory_used_gb', memory.usedGb],
        ['disk_percent', disk.percent],
        ['disk_used_gb', disk.usedGb],
        ['load_avg_1m', loadAverage()],
      ]);
      const cpuPercent = cpu.sample();
      if (cpuPercent !== undefined) readings.set('cpu_percent', cpuPercent);
      if (temperature !== undefined) readings.set('cpu_temp', temperature);
      return readings;
    },
    write() {
      // the system monitor has no outputs
    },
    written: new Map(),
  };
}

function createSystemDevice(options: DeviceOptions): PluginDevice {
  if (!options.demoMode) return createHostDevice();
  const generator = new SignalGenerator(options.instanceName, channels);
  return { read: async (nowMs) => generator.read(nowMs), write() {}, written: new Map() };
}

export const systemPlugin: BuiltinPlugin = {
  id: 'system',
  name: 'System Monitor',
  version: '0.1.0',
  vendor: 'WebMACS',
  description: 'CPU, memory, disk and temperature monitoring.',
  url: 'https://github.com/stefanposs/webmacs',
  packageName: 'webmacs-plugin-system',
  channels,
  alwaysDemo: false,
  createDevice: createSystemDevice,
};
