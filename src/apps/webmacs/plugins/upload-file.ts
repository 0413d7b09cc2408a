import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Upload names are plain basenames of letters, digits, dots, dashes and underscores (spec §3.12, §8). */
export function isSafeFileName(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..' && !name.startsWith('..');
}

export interface ReceivedFile {
  /** a temporary file in the target directory, renamed into place by the caller or removed */
  tempPath: string;
  size: number;
  sha256: string;
  /** the stream hit the size cap: the file is incomplete and has been removed */
  tooLarge: boolean;
}

/** Streams an upload into `<dir>/.upload-<random>` while hashing it; nothing is held in memory. */
export async function receiveFile(stream: Readable & { truncated?: boolean }, dir: string): Promise<ReceivedFile> {
  await fsp.mkdir(dir, { recursive: true });
  const tempPath = path.join(dir, `.upload-${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    hash.update(chunk);
  });
  try {
    await pipeline(stream, fs.createWriteStream(tempPath));
  } catch (err) {
    await fsp.rm(tempPath, { force: true });
    if (stream.truncated) return { tempPath, size, sha256: '', tooLarge: true };
    throw err;
  }
  if (stream.truncated) {
    await fsp.rm(tempPath, { force: true });
    return { tempPath, size, sha256: '', tooLarge: true };
  }
  return { tempPath, size, sha256: hash.digest('hex'), tooLarge: false };
}

/** `12,345`: byte counts in upload messages use comma thousands separators (upstream `{:,}`). */
export function withThousands(n: number): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
