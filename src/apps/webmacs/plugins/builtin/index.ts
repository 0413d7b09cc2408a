import { simulatedPlugin } from './simulated.ts';
import { systemPlugin } from './system.ts';
import type { BuiltinPlugin } from './types.ts';

export type { BuiltinPlugin, ChannelDirection, ChannelSpec, DeviceOptions, PluginDevice } from './types.ts';
export { CHANNEL_DIRECTIONS } from './types.ts';

/** The plugin classes compiled into the server; instances of any other id belong to an external controller. */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = [simulatedPlugin, systemPlugin];

export function builtinPlugin(pluginId: string): BuiltinPlugin | undefined {
  return BUILTIN_PLUGINS.find((plugin) => plugin.id === pluginId);
}
