import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { AppDatabase } from '../../../core/db/index.ts';
import type { SsrfGuard } from '../../../core/outbound/index.ts';
import type { WebmacsDatabase } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { isPublicId, newPublicId } from '../ids.ts';
import { isSafeFileName, receiveFile, withThousands } from '../plugins/upload-file.ts';
import { isoZ, isoZOrNull, nowMicros } from '../time.ts';
import { download, DownloadError } from './download.ts';
import { compareVersions, releaseChecker } from './releases.ts';
import type { FirmwareRow, OtaRepo } from './repo.ts';
import type { ApplyBody, FirmwareStatus } from './schemas.ts';

const TRANSITIONS: Record<FirmwareStatus, readonly FirmwareStatus[]> = {
  pending: ['downloading', 'completed', 'failed'],
  downloading: ['verifying', 'failed'],
  verifying: ['applying', 'failed'],
  applying: ['completed', 'failed'],
  completed: ['rolled_back'],
  failed: ['pending'],
  rolled_back: ['pending'],
};
const IN_PROGRESS: readonly string[] = ['downloading', 'verifying', 'applying'];
const HASH_MISMATCH = 'SHA-256 hash verification failed';
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export function toFirmwareJson(row: FirmwareRow) {
  return {
    public_id: row.public_id,
    version: row.version,
    changelog: row.changelog,
    file_hash_sha256: row.file_hash_sha256,
    file_size_bytes: row.file_size_bytes,
    has_firmware_file: row.file_path !== null,
    status: row.status,
    error_message: row.error_message,
    created_on: isoZ(row.created_on),
    started_on: isoZOrNull(row.started_on),
    completed_on: isoZOrNull(row.completed_on),
    user_public_id: row.user_public_id,
  };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface OtaServiceDeps {
  repo: OtaRepo;
  database: AppDatabase<WebmacsDatabase>;
  guard: SsrfGuard;
  updateDir: string;
  currentVersion: string;
  downloadTimeoutMs: number;
  maxBytes: number;
  releaseUrl: string | undefined;
  releaseTimeoutMs: number;
}

/** Firmware update records and their state machine (spec §3.12, D28). */
export function otaService(deps: OtaServiceDeps) {
  const { repo, guard, updateDir } = deps;
  const checkRelease = deps.releaseUrl ? releaseChecker(deps.releaseUrl, deps.releaseTimeoutMs) : undefined;

  async function get(publicId: string): Promise<FirmwareRow> {
    const row = isPublicId('fw', publicId) ? await repo.findByPublicId(publicId) : undefined;
    if (!row) throw errors.notFound('FirmwareUpdate', publicId);
    return row;
  }

  /** Moves a record along the state machine, refusing any transition it does not allow. */
  async function move(row: FirmwareRow, to: FirmwareStatus, changes: Parameters<OtaRepo['update']>[1] = {}): Promise<FirmwareRow> {
    if (!TRANSITIONS[row.status as FirmwareStatus]?.includes(to)) throw errors.invalidTransition(row.status, to);
    await repo.update(row.id, { ...changes, status: to });
    return { ...row, ...changes, status: to };
  }

  async function fail(row: FirmwareRow, message: string): Promise<never> {
    await move(row, 'failed', { error_message: message });
    throw errors.firmwareFailed(message);
  }

  async function applyDownload(row: FirmwareRow, url: string, expectedHash: string | undefined): Promise<void> {
    let current = await move(row, 'downloading', { started_on: nowMicros(), error_message: null });
    await fsp.mkdir(updateDir, { recursive: true });
    const target = path.join(updateDir, `firmware-${row.version}.tar.gz`);
    let file: { size: number; sha256: string };
    try {
      file = await download(url, target, { guard, idleTimeoutMs: deps.downloadTimeoutMs, maxBytes: deps.maxBytes });
    } catch (err) {
      const message = err instanceof DownloadError ? err.message : `download_failed: ${(err as Error).message}`;
      return fail(current, message);
    }
    current = await move(current, 'verifying', { file_hash_sha256: file.sha256, file_size_bytes: file.size });
    if (expectedHash && expectedHash.toLowerCase() !== file.sha256) {
      await fsp.rm(target, { force: true });
      return fail(current, HASH_MISMATCH);
    }
    current = await move(current, 'applying', { file_path: target });
    await move(current, 'completed', { completed_on: nowMicros() });
  }

  return {
    get: async (publicId: string) => toFirmwareJson(await get(publicId)),

    async list(limit: number, offset: number) {
      const { total, rows } = await repo.page(limit, offset);
      return { total, data: rows.map(toFirmwareJson) };
    },

    async create(userId: number, version: string, changelog: string | null | undefined): Promise<string> {
      const publicId = newPublicId('fw');
      try {
        await repo.insert({
          public_id: publicId,
          version,
          changelog: changelog ?? null,
          file_path: null,
          file_hash_sha256: null,
          file_size_bytes: null,
          status: 'pending',
          error_message: null,
          created_on: nowMicros(),
          started_on: null,
          completed_on: null,
          user_id: userId,
        });
      } catch (err) {
        if (deps.database.dialect.isUniqueViolation(err)) throw errors.conflict('FirmwareUpdate');
        throw err;
      }
      return publicId;
    },

    async delete(publicId: string): Promise<void> {
      const row = await get(publicId);
      if (IN_PROGRESS.includes(row.status)) throw errors.firmwareInProgress();
      await repo.delete(row.id);
      if (row.file_path) await fsp.rm(row.file_path, { force: true });
    },

    /** Failed and rolled-back updates re-enter pending first (D28). */
    async apply(publicId: string, body: ApplyBody): Promise<void> {
      let row = await get(publicId);
      if (row.status === 'failed' || row.status === 'rolled_back') row = await move(row, 'pending');
      if (row.status !== 'pending') throw errors.invalidTransition(row.status, body.download_url ? 'downloading' : 'completed');
      if (body.download_url) return applyDownload(row, body.download_url, body.file_hash_sha256);
      if (row.file_path) {
        const expected = body.file_hash_sha256?.toLowerCase() ?? row.file_hash_sha256;
        const actual = await sha256Of(row.file_path).catch(() => undefined);
        if (actual === undefined || (expected && actual !== expected)) return fail(row, HASH_MISMATCH);
      }
      const now = nowMicros();
      await move(row, 'completed', { started_on: row.started_on ?? now, completed_on: now, error_message: null });
    },

    async rollback(publicId: string): Promise<void> {
      await move(await get(publicId), 'rolled_back');
    },

    async check() {
      const newer = (await repo.inStatus(['pending', 'completed'])).map((r) => r.version).filter((v) => compareVersions(v, deps.currentVersion) > 0);
      const remote = checkRelease ? await checkRelease() : undefined;
      if (remote?.version && compareVersions(remote.version, deps.currentVersion) > 0) newer.push(remote.version);
      newer.sort(compareVersions);
      return {
        current_version: deps.currentVersion,
        latest_version: newer.at(-1) ?? null,
        update_available: newer.length > 0,
        github_latest_version: remote?.version ?? null,
        github_download_url: remote?.downloadUrl ?? null,
        github_release_url: remote?.releaseUrl ?? null,
        github_error: remote?.error ?? null,
        remote_check: remote ? remote.status : 'disabled',
      };
    },

    /** A `.tar.gz` bundle into the update dir, optionally attached to a record (spec §3.12). */
    async upload(fileName: string, stream: Readable & { truncated?: boolean }, updatePublicId: string | undefined) {
      if (!fileName.endsWith('.tar.gz')) throw errors.bundleNotTarGz();
      if (!isSafeFileName(fileName)) throw errors.invalidFileName();
      const row = updatePublicId === undefined ? undefined : await get(updatePublicId);
      if (row && !['pending', 'failed', 'rolled_back'].includes(row.status)) throw errors.invalidTransition(row.status, 'pending');
      const finalPath = path.join(updateDir, fileName);
      if (await fsp.stat(finalPath).then(() => true, () => false)) throw errors.bundleExists(fileName);
      const received = await receiveFile(stream, updateDir);
      if (received.tooLarge) throw errors.bundleTooLarge();
      try {
        const handle = await fsp.open(received.tempPath);
        const head = Buffer.alloc(2);
        await handle.read(head, 0, 2, 0).finally(() => handle.close());
        if (!head.equals(GZIP_MAGIC)) throw errors.bundleNotGzip();
        await fsp.rename(received.tempPath, finalPath);
      } finally {
        await fsp.rm(received.tempPath, { force: true });
      }
      if (row) await repo.update(row.id, { file_path: finalPath, file_hash_sha256: received.sha256, file_size_bytes: received.size });
      return {
        status: 'success' as const,
        message: `Bundle '${fileName}' uploaded (${withThousands(received.size)} bytes).`,
        filename: fileName,
        file_size_bytes: received.size,
        file_hash_sha256: received.sha256,
      };
    },
  };
}
