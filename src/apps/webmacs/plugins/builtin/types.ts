export const CHANNEL_DIRECTIONS = ['input', 'output', 'bidirectional'] as const;
export type ChannelDirection = (typeof CHANNEL_DIRECTIONS)[number];

export interface ChannelSpec {
  id: string;
  name: string;
  direction: ChannelDirection;
  unit: string;
  minValue: number;
  maxValue: number;
}

export interface DeviceOptions {
  instanceName: string;
  demoMode: boolean;
  config: Record<string, unknown> | null;
}

/** A running device behind one plugin instance, driven by the controller's ticks. */
export interface PluginDevice {
  /** one reading per input/bidirectional channel that has a value this tick */
  read(nowMs: number): Promise<Map<string, number>>;
  /** sets an output channel; values arrive already clamped to the channel's range */
  write(channelId: string, value: number): void;
  /** the last value written to each output channel */
  readonly written: ReadonlyMap<string, number>;
}

/** A plugin class compiled into the server (spec §4.5). */
export interface BuiltinPlugin {
  id: string;
  name: string;
  version: string;
  vendor: string;
  description: string;
  url: string;
  /** the wheel it stands for in `/plugins/packages` */
  packageName: string;
  channels: readonly ChannelSpec[];
  /** simulated devices ignore `demo_mode: false` and are stored as demo (spec §3.13) */
  alwaysDemo: boolean;
  createDevice(options: DeviceOptions): PluginDevice;
}
