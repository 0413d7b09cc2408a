import { AppError } from '../../core/http/index.ts';

/**
 * Every domain error squirrel can throw (spec §2.1), created only here. The envelope turns them into
 * `{"code","detail"}`; framework problems get their codes there.
 */

const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'ApiKey header="X-API-Key"' };

/** up to 10 ids in a detail, so a 50,000-item request does not produce a megabyte of error text */
export function listSome(ids: readonly string[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown} (and ${ids.length - 10} more)` : shown;
}

export const errors = {
  invalidApiKey: () => new AppError(401, 'invalid_api_key', 'Missing or invalid API key', { headers: WWW_AUTHENTICATE }),
  insufficientRead: () =>
    new AppError(401, 'insufficient_read_access', 'API key does not have read access', { headers: WWW_AUTHENTICATE }),
  insufficientWrite: () =>
    new AppError(401, 'insufficient_write_access', 'API key does not have write access', { headers: WWW_AUTHENTICATE }),

  tagGroupNotFound: (id: string) => new AppError(404, 'tag_group_not_found', `Tag group ${id} not found`),
  tagGroupConflict: (detail: string) => new AppError(409, 'tag_group_conflict', detail),
  tagNotFound: (ids: readonly string[]) => new AppError(404, 'tag_not_found', `Tag(s) not found: ${listSome(ids)}`),

  pvNotFound: (ids: readonly string[]) =>
    new AppError(404, 'pv_not_found', ids.length === 1 ? `PV ${ids[0]} not found` : `PVs not found: ${listSome(ids)}`),
  pvAlreadyExists: (detail: string) => new AppError(409, 'pv_already_exists', detail),
  invalidTagFilters: (reason: string) => new AppError(400, 'invalid_tag_filters', `Invalid tagFilters: ${reason}`),
  invalidCursor: (reason: string) => new AppError(400, 'invalid_cursor', `Invalid cursor: ${reason}`),
  liveValuesFetchFailed: (reason: string) => new AppError(500, 'live_values_fetch_failed', `Failed to fetch live values: ${reason}`),
  /** a body that passes the schema but breaks a rule the schema cannot express */
  validation: (field: string, message: string) =>
    new AppError(422, 'validation_error', `body${field === '' || field.startsWith('[') ? '' : '.'}${field}: ${message}`, {
      extras: { errors: [{ in: 'body', field, message }] },
    }),

  snapshotNotFound: (id: string) => new AppError(404, 'snapshot_not_found', `Snapshot ${id} not found`),
  jobNotFound: (id: string) => new AppError(404, 'job_not_found', `Job ${id} not found`),

  apiKeyNotFound: (id: string) => new AppError(404, 'api_key_not_found', `API key ${id} not found`),
  apiKeyAlreadyExists: (appName: string) =>
    new AppError(409, 'api_key_already_exists', `App name '${appName}' already has an active API key`),
  apiKeyConflict: (detail: string) => new AppError(409, 'api_key_conflict', detail),
  apiKeySelfDeactivation: () =>
    new AppError(409, 'api_key_self_deactivation', 'Refusing to deactivate the API key used for this request; pass ?force=true'),

  healthCheckFailed: (reason: string) => new AppError(503, 'health_check_failed', `Health check failed: ${reason}`),
  watchdogStatsFailed: (reason: string) => new AppError(503, 'watchdog_stats_failed', `Could not read watchdog statistics: ${reason}`),
  watchdogCheckFailed: (reason: string) => new AppError(503, 'watchdog_check_failed', `Watchdog check failed: ${reason}`),
  disconnectedFetchFailed: (reason: string) =>
    new AppError(503, 'disconnected_pvs_fetch_failed', `Could not read disconnected PVs: ${reason}`),
  staleFetchFailed: (reason: string) => new AppError(503, 'stale_pvs_fetch_failed', `Could not read stale PVs: ${reason}`),
  circuitActionFailed: (reason: string) => new AppError(500, 'circuit_action_failed', `Circuit action failed: ${reason}`),
};
