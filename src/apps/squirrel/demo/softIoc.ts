import type { Logger } from 'pino';
import { DEFAULT_GENERATED_PREFIX, SoftIoc, generatedPvDefinitions, loadPvFile, type PvDefinition } from '../../../connectors/epics/softioc/index.ts';
import type { SquirrelSettings } from '../settings.ts';

/** Setpoint/readback pairs of the demo IOC: a few hundred PVs, as the spec's demo mode asks. */
const DEMO_PAIRS = 150;
/** One setpoint in this many drifts on its own, so a fresh `npm start` shows values moving. */
const DRIFTING_EVERY = 3;

/** The generated PV set (spec §5.4 Generator) with some setpoints drifting; their readbacks follow. */
export function demoPvDefinitions(): PvDefinition[] {
  return generatedPvDefinitions(DEMO_PAIRS, DEFAULT_GENERATED_PREFIX).map((definition, index) => {
    const pair = Math.floor(index / 2) + 1;
    const isSetpoint = index < DEMO_PAIRS * 2 && index % 2 === 0;
    return isSetpoint && pair % DRIFTING_EVERY === 0 ? { ...definition, sim: { kind: 'random_walk', step: 0.05, hz: 2 } } : definition;
  });
}

/**
 * The in-process soft IOC (spec §5.4 In-process mode): `SQUIRREL_SOFT_IOC=demo` serves the demo set,
 * a path serves that file; on `SQUIRREL_SOFT_IOC_PORT` (0 = a free port). Undefined when off.
 */
export async function startInProcessIoc(settings: SquirrelSettings, logger: Logger): Promise<{ ioc: SoftIoc; definitions: PvDefinition[] } | undefined> {
  const source = settings.SQUIRREL_SOFT_IOC;
  if (source === 'off') return undefined;
  let definitions: PvDefinition[];
  if (source === 'demo') {
    definitions = demoPvDefinitions();
  } else {
    const loaded = await loadPvFile(source);
    for (const warning of loaded.warnings) logger.warn({ file: source }, warning);
    definitions = loaded.definitions;
  }
  const ioc = new SoftIoc({ definitions, port: settings.SQUIRREL_SOFT_IOC_PORT });
  await ioc.start();
  logger.info({ port: ioc.port, pvs: definitions.length, source }, 'in-process soft IOC listening');
  return { ioc, definitions };
}
