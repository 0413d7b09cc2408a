import type { PvDefinition } from '../../../connectors/epics/softioc/index.ts';
import type { PvInput, PvService } from '../pvs/service.ts';
import type { TagService } from '../tags/service.ts';

const AREAS = ['LI21', 'LI22', 'LI23', 'LI24'];
const SUBSYSTEMS = ['Magnets', 'RF', 'Vacuum', 'Diagnostics'];
const SETPOINT = /^(.*):SP$/;

/**
 * With SQUIRREL_DEMO_SEED and an empty PV table, registers the IOC's setpoint/readback pairs and its
 * other PVs, tagged in the groups "Area" and "Subsystem" (spec §5.4). Returns how many PVs it created.
 */
export async function seedDemoPvs(deps: { pvs: PvService; tags: TagService; definitions: readonly PvDefinition[] }): Promise<number> {
  if (!(await deps.pvs.isEmpty())) return 0;
  const area = await deps.tags.create({ name: 'Area', description: 'Accelerator sector', tags: AREAS.map((name) => ({ name })) });
  const subsystem = await deps.tags.create({ name: 'Subsystem', tags: SUBSYSTEMS.map((name) => ({ name })) });
  const idOf = (group: typeof area, name: string) => group.tags.find((tag) => tag.name === name)!.id;

  const names = new Set(deps.definitions.map((definition) => definition.name));
  const inputs: PvInput[] = [];
  deps.definitions.forEach((definition, index) => {
    const device = SETPOINT.exec(definition.name)?.[1];
    if (definition.name.endsWith(':RB') && names.has(definition.name.replace(/:RB$/, ':SP'))) return;
    const tag_ids = [idOf(area, AREAS[index % AREAS.length]!), idOf(subsystem, SUBSYSTEMS[Math.floor(index / 2) % SUBSYSTEMS.length]!)];
    if (device) {
      const readback = `${device}:RB`;
      inputs.push({ setpoint_address: definition.name, readback_address: names.has(readback) ? readback : null, device, description: definition.description ?? null, abs_tolerance: 0.01, tag_ids });
    } else {
      inputs.push({ setpoint_address: definition.name, description: definition.description ?? null, read_only: definition.read_only ?? false, tag_ids });
    }
  });
  await deps.pvs.createMany(inputs, 'demo');
  return inputs.length;
}
