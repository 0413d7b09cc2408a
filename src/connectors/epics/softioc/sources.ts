/**
 * Where a soft IOC's PVs come from: JSON files, `.db` files with macros, and the generator.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PvDefinition } from './definition.ts';
import { generatedPvDefinitions } from './generate.ts';
import { parseDbFile, parseMacros } from './loaders/db.ts';
import { parseJsonPvFile } from './loaders/json.ts';

export interface PvSources {
  jsonFiles?: readonly string[];
  dbFiles?: readonly string[];
  /** `P=SIM:,R=1`, for the `.db` files */
  macros?: string;
  /** how many generated SP/RB pairs (with the fixed extra PVs); undefined for none */
  generate?: number;
  prefix?: string;
}

export interface LoadedPvs {
  definitions: PvDefinition[];
  warnings: string[];
}

const DB_EXTENSIONS = new Set(['.db', '.vdb', '.template', '.substitutions']);

/** One file, read as `.db` or JSON by its extension. */
export async function loadPvFile(file: string, macros?: string): Promise<LoadedPvs> {
  const text = await fs.readFile(file, 'utf8');
  if (DB_EXTENSIONS.has(path.extname(file).toLowerCase())) return parseDbFile(text, parseMacros(macros), file);
  return { definitions: parseJsonPvFile(text, file), warnings: [] };
}

/** Every source in turn; throws PvDefinitionError (or a file error) naming the culprit. */
export async function loadPvSources(sources: PvSources): Promise<LoadedPvs> {
  const definitions: PvDefinition[] = [];
  const warnings: string[] = [];
  for (const file of sources.jsonFiles ?? []) definitions.push(...parseJsonPvFile(await fs.readFile(file, 'utf8'), file));
  for (const file of sources.dbFiles ?? []) {
    const loaded = parseDbFile(await fs.readFile(file, 'utf8'), parseMacros(sources.macros), file);
    definitions.push(...loaded.definitions);
    warnings.push(...loaded.warnings);
  }
  if (sources.generate !== undefined) definitions.push(...generatedPvDefinitions(sources.generate, sources.prefix));
  return { definitions, warnings };
}
