import { SignalGenerator, type SimulatedChannel } from './signals.ts';
import type { BuiltinPlugin, DeviceOptions, PluginDevice } from './types.ts';

const channels: readonly SimulatedChannel[] = [
  { id: 'temp_reactor', name: 'Temperature Reactor', direction: 'input', unit: '°C', minValue: 20, maxValue: 500, profile: { kind: 'sine', base: 260, amp: 120, period: 120, noise: 0.5 } },
  { id: 'temp_inlet', name: 'Temperature Inlet', direction: 'input', unit: '°C', minValue: 15, maxValue: 200, profile: { kind: 'sine', base: 100, amp: 40, period: 90, noise: 0.3 } },
  { id: 'temp_outlet', name: 'Temperature Outlet', direction: 'input', unit: '°C', minValue: 15, maxValue: 300, profile: { kind: 'sine', base: 150, amp: 60, period: 100, noise: 0.4 } },
  { id: 'pressure_chamber', name: 'Pressure Chamber', direction: 'input', unit: 'bar', minValue: 0, maxValue: 6, profile: { kind: 'walk', base: 3, amp: 1.5, noise: 0.2 } },
  { id: 'pressure_diff', name: 'Pressure Differential', direction: 'input', unit: 'mbar', minValue: 0, maxValue: 100, profile: { kind: 'walk', base: 50, amp: 20, noise: 0.5 } },
  { id: 'volume_flow', name: 'Volume Flow', direction: 'input', unit: 'm³/h', minValue: 0, maxValue: 40, profile: { kind: 'sawtooth', base: 20, amp: 12, period: 60, noise: 0.8 } },
  { id: 'humidity', name: 'Humidity', direction: 'input', unit: '%', minValue: 0, maxValue: 100, profile: { kind: 'sine', base: 55, amp: 15, period: 300, noise: 1.0 } },
  { id: 'heater_power', name: 'Heater Power', direction: 'output', unit: '%', minValue: 0, maxValue: 100 },
  { id: 'valve_position', name: 'Valve Position', direction: 'output', unit: '%', minValue: 0, maxValue: 100 },
];

/** Actuators start at their safe value. */
const SAFE_OUTPUT_VALUE = 0;

function createSimulatedDevice(options: DeviceOptions): PluginDevice {
  const generator = new SignalGenerator(options.instanceName, channels);
  const written = new Map(channels.filter((c) => c.direction !== 'input').map((c) => [c.id, SAFE_OUTPUT_VALUE]));
  return {
    read: async (nowMs) => generator.read(nowMs),
    write(channelId, value) {
      written.set(channelId, value);
    },
    written,
  };
}

export const simulatedPlugin: BuiltinPlugin = {
  id: 'simulated',
  name: 'Simulated Device',
  version: '0.2.0',
  vendor: 'WebMACS',
  description: 'Virtual sensors & actuators for testing and demonstration.',
  url: 'https://github.com/stefanposs/webmacs',
  packageName: 'webmacs-plugin-simulated',
  channels,
  alwaysDemo: true,
  createDevice: createSimulatedDevice,
};
