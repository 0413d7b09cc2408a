import FindMyWay, { type HTTPMethod } from 'find-my-way';

const SLASH = 0x2f;

/** Which app owns a URL: the longest registered prefix that matches at a path-segment boundary. */
export class PrefixOwners<T> {
  readonly #entries: { prefix: string; owner: T }[] = [];

  add(prefix: string, owner: T): void {
    const normalised = prefix === '/' ? '' : prefix.replace(/\/+$/, '');
    this.#entries.push({ prefix: normalised, owner });
    this.#entries.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Runs on every request (request ids, metrics), so it compares in place instead of slicing the URL. */
  ownerOf(url: string): T | undefined {
    const query = url.indexOf('?');
    const pathLength = query === -1 ? url.length : query;
    for (const { prefix, owner } of this.#entries) {
      if (prefix.length > pathLength || !url.startsWith(prefix)) continue;
      if (prefix.length === pathLength || url.charCodeAt(prefix.length) === SLASH) return owner;
    }
    return undefined;
  }
}

/**
 * Every registered route by method, so a 404 can tell whether the path exists under other methods
 * (405 with `Allow`). Fastify answers 404 for a wrong method by default.
 */
export class MethodIndex {
  readonly #router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  readonly #methods = new Set<string>();

  add(method: string | string[], url: string): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      try {
        this.#router.on(m as HTTPMethod, url, () => {});
        this.#methods.add(m);
      } catch {
        // The same method and path registered twice (e.g. a HEAD route Fastify derived): already indexed.
      }
    }
  }

  allowedMethods(url: string): string[] {
    const path = url.split('?', 1)[0] ?? '';
    return [...this.#methods].filter((m) => this.#router.find(m as HTTPMethod, path) !== null).sort();
  }
}
