import { isoZOrNull } from '../time.ts';
import { BUILTIN_PLUGINS } from './builtin/index.ts';
import type { PackageRow } from './packages-repo.ts';

/** What an uploaded wheel's METADATA said about it, stored with the package row as `plugin_ids` (JSON). */
export interface UploadedPluginInfo {
  ids: string[];
  vendor: string;
  description: string;
  url: string | null;
}

export function toPackageJson(row: PackageRow) {
  return {
    public_id: row.public_id,
    package_name: row.package_name,
    version: row.version,
    source: row.source,
    plugin_ids: pluginIdsOf(row),
    file_size_bytes: row.file_size_bytes === null ? null : Number(row.file_size_bytes),
    installed_on: isoZOrNull(row.installed_on),
    removable: row.source !== 'bundled',
  };
}

/** `plugin_ids` holds a plain id list for bundled rows and the richer upload info for wheels. */
export function uploadedInfoOf(row: PackageRow): UploadedPluginInfo {
  const stored = JSON.parse(row.plugin_ids) as string[] | UploadedPluginInfo;
  return Array.isArray(stored) ? { ids: stored, vendor: '', description: '', url: null } : stored;
}

function pluginIdsOf(row: PackageRow): string[] {
  return uploadedInfoOf(row).ids;
}

/** `/plugins/available`: the built-in classes with their channels, then each uploaded plugin id (spec §3.13). */
export function availablePlugins(packages: PackageRow[]) {
  const builtins = BUILTIN_PLUGINS.map((plugin) => ({
    id: plugin.id,
    name: plugin.name,
    version: plugin.version,
    vendor: plugin.vendor,
    description: plugin.description,
    url: plugin.url,
    source: 'builtin',
    channels: plugin.channels.map((c) => ({ id: c.id, name: c.name, direction: c.direction, unit: c.unit, min_value: c.minValue, max_value: c.maxValue })),
  }));
  const uploaded = packages
    .filter((row) => row.source === 'uploaded')
    .flatMap((row) => {
      const info = uploadedInfoOf(row);
      return info.ids.map((id) => ({ id, name: id, version: row.version, vendor: info.vendor, description: info.description, url: info.url, source: 'uploaded', channels: [] }));
    });
  return [...builtins, ...uploaded];
}
