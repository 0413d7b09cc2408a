import type { FastifyRequest } from 'fastify';

/**
 * Upstream's camelCase names are accepted beside ours (spec D1). Copies each alias to its canonical name
 * when the canonical one is absent; run as a preValidation hook so the schema sees one name.
 */
export function aliasHook(part: 'query' | 'body', aliases: Record<string, string>) {
  return async (request: FastifyRequest): Promise<void> => {
    const target = request[part];
    if (typeof target !== 'object' || target === null || Array.isArray(target)) return;
    const record = target as Record<string, unknown>;
    for (const [alias, canonical] of Object.entries(aliases)) {
      if (alias in record && !(canonical in record)) record[canonical] = record[alias];
      delete record[alias];
    }
  };
}

/** `a,b` and repeated parameters alike become one list (spec §3.2 tag_ids, pv_names). */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
