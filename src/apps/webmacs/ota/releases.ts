/** Strict X.Y.Z compare; a leading `v` (GitHub tags) is ignored. undefined when not X.Y.Z. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a) ?? [0, 0, 0], parseVersion(b) ?? [0, 0, 0]];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

export interface RemoteRelease {
  status: 'ok' | 'error';
  version: string | null;
  downloadUrl: string | null;
  releaseUrl: string | null;
  error: string | null;
}

const CACHE_MS = 300_000;

/**
 * The optional remote check of `/ota/check` (spec §3.12): one GET of a GitHub `releases/latest`-shaped
 * URL, cached for five minutes; a 404 means no release, any other failure is reported, never thrown.
 */
export function releaseChecker(url: string, timeoutMs: number) {
  let cached: { at: number; release: RemoteRelease } | undefined;

  async function fetchRelease(): Promise<RemoteRelease> {
    const none = { version: null, downloadUrl: null, releaseUrl: null };
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/vnd.github+json' } });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      return { status: 'error', ...none, error: timedOut ? 'Connection timed out' : `Connection failed: ${(err as Error).message}` };
    }
    if (response.status === 404) return { status: 'ok', ...none, error: null };
    if (!response.ok) return { status: 'error', ...none, error: `GitHub API returned ${response.status}` };
    try {
      const body = (await response.json()) as { tag_name?: string; html_url?: string; assets?: Array<{ name?: string; browser_download_url?: string }> };
      const version = typeof body.tag_name === 'string' ? body.tag_name.replace(/^v/, '') : null;
      const asset = (body.assets ?? []).find((a) => a.name?.endsWith('.tar.gz') && a.name.includes('webmacs-update'));
      return { status: 'ok', version, downloadUrl: asset?.browser_download_url ?? null, releaseUrl: body.html_url ?? null, error: null };
    } catch {
      return { status: 'error', ...none, error: 'Invalid response from release URL' };
    }
  }

  return async (): Promise<RemoteRelease> => {
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.release;
    const release = await fetchRelease();
    cached = { at: Date.now(), release };
    return release;
  };
}
