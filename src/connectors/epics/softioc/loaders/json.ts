/**
 * The soft IOC's JSON PV file: `{"prefix": "SIM:", "pvs": [{"name": …, "type": …}, …]}` (spec §5.4).
 * The prefix is prepended to every name and to every `follow.source`.
 */
import { parsePvDefinition, PvDefinitionError, type PvDefinition } from '../definition.ts';

export function parseJsonPvFile(text: string, source = 'JSON PV file'): PvDefinition[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new PvDefinitionError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { pvs?: unknown }).pvs)) {
    throw new PvDefinitionError(`${source}: expected an object with a "pvs" array`);
  }
  const { prefix = '', pvs } = document as { prefix?: unknown; pvs: unknown[] };
  if (typeof prefix !== 'string') throw new PvDefinitionError(`${source}: "prefix" must be a string`);
  return pvs.map((raw, i) => {
    const entry = raw as { name?: unknown; follow?: { source?: unknown } };
    const named = typeof entry?.name === 'string' ? { ...entry, name: prefix + entry.name } : entry;
    const followed = named && typeof named.follow?.source === 'string' ? { ...named, follow: { ...named.follow, source: prefix + named.follow.source } } : named;
    return parsePvDefinition(followed, `${source} pvs[${i}]`);
  });
}
