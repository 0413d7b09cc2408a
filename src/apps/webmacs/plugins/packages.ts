import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import { nowMicros } from '../time.ts';
import type { UploadedPluginInfo } from './catalog.ts';
import type { PackagesRepo } from './packages-repo.ts';
import { isSafeFileName, receiveFile, withThousands } from './upload-file.ts';
import { inspectWheel, WheelError } from './wheel.ts';

export interface PackagesServiceDeps {
  repo: PackagesRepo;
  database: AppDatabase<WebmacsDatabase>;
  pluginDir: string;
}

/**
 * Plugin wheels (spec §3.13, D27): validated and stored, never installed or executed; the plugins
 * they declare run in an external controller.
 */
export function packagesService({ repo, database, pluginDir }: PackagesServiceDeps) {
  function wheelFailure(err: unknown): Error {
    if (!(err instanceof WheelError)) return err as Error;
    switch (err.problem.kind) {
      case 'not_zip':
        return errors.wheelInvalid(err.problem.reason);
      case 'entry_too_large':
        return errors.wheelInvalid('metadata entry exceeds 1 MiB');
      case 'no_metadata':
        return errors.wheelNoMetadata();
    }
  }

  return {
    async upload(userId: number, fileName: string, stream: Readable & { truncated?: boolean }) {
      if (!fileName.toLowerCase().endsWith('.whl')) throw errors.wheelRequired();
      if (!isSafeFileName(fileName)) throw errors.invalidFileName();
      const received = await receiveFile(stream, pluginDir);
      if (received.tooLarge) throw errors.wheelTooLarge();
      try {
        const metadata = await inspectWheel(received.tempPath).catch((err: unknown) => {
          throw wheelFailure(err);
        });
        if (!metadata.name || !metadata.version) throw errors.wheelMetadataIncomplete();
        if (metadata.pluginIds.length === 0) throw errors.wheelNoEntryPoint(metadata.name);
        const finalPath = path.join(pluginDir, fileName);
        if (await fsp.stat(finalPath).then(() => true, () => false)) throw errors.packageFileExists(fileName);
        if (await repo.findByName(metadata.name)) throw errors.packageInstalled(metadata.name);
        const info: UploadedPluginInfo = { ids: metadata.pluginIds, vendor: metadata.author, description: metadata.summary, url: metadata.homePage };
        const publicId = newPublicId('pkg');
        try {
          await repo.insert({
            public_id: publicId,
            package_name: metadata.name,
            version: metadata.version,
            source: 'uploaded',
            plugin_ids: JSON.stringify(info),
            file_path: finalPath,
            file_hash_sha256: received.sha256,
            file_size_bytes: received.size,
            installed_on: nowMicros(),
            user_id: userId,
          });
        } catch (err) {
          if (database.dialect.isUniqueViolation(err)) throw errors.packageInstalled(metadata.name);
          throw err;
        }
        await fsp.rename(received.tempPath, finalPath);
        const message = `Plugin package '${metadata.name}' v${metadata.version} installed (${withThousands(received.size)} bytes). Restart the controller to activate.`;
        return { status: 'success' as const, message, public_id: publicId };
      } finally {
        await fsp.rm(received.tempPath, { force: true });
      }
    },

    async delete(publicId: string): Promise<string> {
      const row = isPublicId('pkg', publicId) ? await repo.findByPublicId(publicId) : undefined;
      if (!row) throw errors.notFound('Plugin package', publicId);
      if (row.source === 'bundled') throw errors.bundledPluginNotRemovable();
      await repo.delete(row.id);
      if (row.file_path) await fsp.rm(row.file_path, { force: true });
      return `Plugin package '${row.package_name}' uninstalled. Restart the controller to apply.`;
    },
  };
}
