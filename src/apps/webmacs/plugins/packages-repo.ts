import type { Kysely } from 'kysely';
import type { PluginPackagesTable, WebmacsDatabase } from '../db/schema.ts';

export interface PackageRow extends Omit<PluginPackagesTable, 'id'> {
  id: number;
}

export function packagesRepo(db: Kysely<WebmacsDatabase>) {
  return {
    /** Bundled first, then uploaded ones by installation time (spec §3.13). */
    async list(): Promise<PackageRow[]> {
      const rows = (await db.selectFrom('plugin_packages').selectAll().orderBy('installed_on').orderBy('id').execute()) as PackageRow[];
      return [...rows.filter((r) => r.source === 'bundled'), ...rows.filter((r) => r.source !== 'bundled')];
    },
    findByPublicId(publicId: string): Promise<PackageRow | undefined> {
      return db.selectFrom('plugin_packages').selectAll().where('public_id', '=', publicId).executeTakeFirst() as Promise<PackageRow | undefined>;
    },
    findByName(packageName: string): Promise<PackageRow | undefined> {
      return db.selectFrom('plugin_packages').selectAll().where('package_name', '=', packageName).executeTakeFirst() as Promise<PackageRow | undefined>;
    },
    async insert(row: Omit<PluginPackagesTable, 'id'>): Promise<void> {
      await db.insertInto('plugin_packages').values(row).execute();
    },
    async delete(id: number): Promise<void> {
      await db.deleteFrom('plugin_packages').where('id', '=', id).execute();
    },
  };
}

export type PackagesRepo = ReturnType<typeof packagesRepo>;
