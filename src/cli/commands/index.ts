import { availableApps } from '../../apps/index.ts';
import { CliRegistry } from '../registry.ts';
import { registerCaRepeaterCommand } from './ca-repeater.ts';
import { registerCaCommands } from './ca.ts';
import { registerPlatformCommands } from './platform.ts';
import { registerSoftIocCommands } from './soft-ioc.ts';

/** All `burrow` commands: the platform's, the connectors' tools, and each app's own. */
export async function buildRegistry(): Promise<CliRegistry> {
  const registry = new CliRegistry();
  registerPlatformCommands(registry);
  registerCaCommands(registry);
  registerSoftIocCommands(registry);
  registerCaRepeaterCommand(registry);
  for (const app of availableApps) app.cli?.(registry);
  return registry;
}
