import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

/** Each entry we inflate is capped, so a zip bomb costs at most this much memory (spec §3.13). */
const MAX_ENTRY_BYTES = 1024 * 1024;

export interface WheelMetadata {
  name: string | undefined;
  version: string | undefined;
  summary: string;
  author: string;
  homePage: string | null;
  /** keys of the `[webmacs.plugins]` entry-point section */
  pluginIds: string[];
}

export type WheelProblem = { kind: 'not_zip'; reason: string } | { kind: 'no_metadata' } | { kind: 'entry_too_large' };

export class WheelError extends Error {
  constructor(readonly problem: WheelProblem) {
    super(problem.kind);
  }
}

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(new WheelError({ kind: 'not_zip', reason: err.message })) : resolve(zip))),
  );
}

/** The central directory's entries, read without inflating anything. */
function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', (err: Error) => reject(new WheelError({ kind: 'not_zip', reason: err.message })));
    zip.readEntry();
  });
}

async function readText(zip: ZipFile, entry: Entry): Promise<string> {
  if (entry.uncompressedSize > MAX_ENTRY_BYTES) throw new WheelError({ kind: 'entry_too_large' });
  const stream: Readable = await zip.openReadStreamPromise(entry).catch((err: Error) => {
    throw new WheelError({ kind: 'not_zip', reason: err.message });
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_ENTRY_BYTES) {
      stream.destroy();
      throw new WheelError({ kind: 'entry_too_large' });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** RFC 822 style headers of METADATA, up to the first blank line; repeated headers keep the first. */
function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^\s/.test(line)) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
  }
  return headers;
}

/** Keys of one INI section (entry_points.txt). */
function sectionKeys(text: string, section: string): string[] {
  const keys: string[] = [];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      inSection = header[1]!.trim() === section;
      continue;
    }
    const equals = line.indexOf('=');
    if (inSection && equals > 0) keys.push(line.slice(0, equals).trim());
  }
  return keys;
}

/**
 * Reads what a wheel says about itself without installing or executing it (spec D27): only the first
 * `*.dist-info/METADATA` and its sibling `entry_points.txt` are inflated.
 */
export async function inspectWheel(file: string): Promise<WheelMetadata> {
  const zip = await openZip(file);
  try {
    const entries = await listEntries(zip);
    const metadata = entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.fileName));
    if (!metadata) throw new WheelError({ kind: 'no_metadata' });
    const distInfo = metadata.fileName.slice(0, -'METADATA'.length);
    const headers = parseHeaders(await readText(zip, metadata));
    const entryPoints = entries.find((e) => e.fileName === `${distInfo}entry_points.txt`);
    const pluginIds = entryPoints ? sectionKeys(await readText(zip, entryPoints), 'webmacs.plugins') : [];
    const projectUrl = headers.get('project-url')?.split(',').slice(1).join(',').trim();
    return {
      name: headers.get('name'),
      version: headers.get('version'),
      summary: headers.get('summary') ?? '',
      author: headers.get('author') ?? headers.get('author-email') ?? '',
      homePage: headers.get('home-page') ?? (projectUrl || null),
      pluginIds,
    };
  } finally {
    zip.close();
  }
}
