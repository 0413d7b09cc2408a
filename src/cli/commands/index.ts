import { availableApps } from '../../apps/index.ts';
import { CliRegistry } from '../registry.ts';
import { registerPlatformCommands } from './platform.ts';

/** All `burrow` commands: the platform's, the connectors' tools, and each app's own. */
export async function buildRegistry(): Promise<CliRegistry> {
  const registry = new CliRegistry();
  registerPlatformCommands(registry);
  for (const app of availableApps) app.cli?.(registry);
  return registry;
}
