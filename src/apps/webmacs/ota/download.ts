import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { SsrfGuard } from '../../../core/outbound/index.ts';

const MAX_REDIRECTS = 5;

export interface DownloadOptions {
  guard: SsrfGuard;
  idleTimeoutMs: number;
  maxBytes: number;
}

export class DownloadError extends Error {}

/**
 * Streams a GET into `target` while hashing it, under the SSRF guard (every redirect hop re-checked,
 * addresses pinned by the guard's lookup), an idle timeout and a size cap. A failure removes the
 * partial file and throws a DownloadError whose message is the spec's `download_failed: …` reason.
 */
export async function download(url: string, target: string, options: DownloadOptions): Promise<{ size: number; sha256: string }> {
  try {
    return await fetchInto(url, target, options, 0);
  } catch (err) {
    await fsp.rm(target, { force: true });
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`download_failed: ${(err as Error).message}`);
  }
}

function fetchInto(url: string, target: string, options: DownloadOptions, hops: number): Promise<{ size: number; sha256: string }> {
  const parsed = options.guard.checkUrl(url);
  const client = parsed.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(parsed, { lookup: options.guard.lookup, timeout: options.idleTimeoutMs }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.resume();
        if (hops >= MAX_REDIRECTS) return reject(new DownloadError('download_failed: too many redirects'));
        return resolve(fetchInto(new URL(location, parsed).toString(), target, options, hops + 1));
      }
      if (status !== 200) {
        response.resume();
        return reject(new DownloadError(`download_failed: status ${status}`));
      }
      const hash = createHash('sha256');
      let size = 0;
      const file = fs.createWriteStream(target);
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          request.destroy(new DownloadError('download_failed: file exceeds maximum size'));
          return;
        }
        hash.update(chunk);
      });
      response.on('error', reject);
      file.on('error', reject);
      response.pipe(file);
      file.on('finish', () => resolve({ size, sha256: hash.digest('hex') }));
    });
    request.on('timeout', () => request.destroy(new DownloadError('download_failed: timed out')));
    request.on('error', reject);
  });
}
