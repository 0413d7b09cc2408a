import type { EpicsClient } from '../../../connectors/epics/index.ts';
import type { PutValue } from '../../../connectors/epics/ca/client/index.ts';
import type { LiveCache } from '../live/cache.ts';
import { epicsValueFromEntry, epicsValueFromReading } from '../live/values.ts';
import type { ProgressReporter } from './capture.ts';
import { withinTolerance } from './compare.ts';
import type { SnapshotValueView } from './service.ts';

export type SkipReason = 'read_only' | 'no_setpoint' | 'null_value' | 'pv_deleted';

/** What restoring a snapshot value needs of it (the rest of the view is never loaded for a restore). */
export type RestoreTarget = Pick<SnapshotValueView, 'pv_id' | 'pv_name' | 'setpoint_name' | 'setpoint_value' | 'read_only' | 'abs_tolerance' | 'rel_tolerance'>;

export interface RestoreResult {
  total_pvs: number;
  success_count: number;
  failure_count: number;
  skipped_count: number;
  failures_truncated: boolean;
  failures: { pv_id: string | null; pv_name: string; error: string }[];
  skipped: { pv_id: string | null; pv_name: string; reason: SkipReason }[];
}

export interface RestoreSettings {
  connectTimeoutMs: number;
  timeoutMs: number;
  chunkSize: number;
}

/** spec §3.3 write rules: setpoints only, with the skip reasons in this order */
export function skipReason(value: RestoreTarget): SkipReason | undefined {
  if (value.pv_id === null) return 'pv_deleted';
  if (value.read_only) return 'read_only';
  if (value.setpoint_name === null) return 'no_setpoint';
  if (value.setpoint_value === null) return 'null_value';
  return undefined;
}

export function restoreMessage(result: RestoreResult): string {
  const n = result.total_pvs;
  return result.failure_count === 0
    ? `All ${n} PVs have been restored to their snapshot values.`
    : `Restored ${result.success_count}/${n} PVs (${result.failure_count} failed)`;
}

/** Writes each selected setpoint with put-callback; a failure never aborts the run (spec §3.3). */
export async function restoreValues(
  values: readonly RestoreTarget[],
  epics: EpicsClient,
  settings: RestoreSettings,
  options: { progress?: ProgressReporter; signal?: AbortSignal },
): Promise<RestoreResult> {
  const skipped: RestoreResult['skipped'] = [];
  const writes: RestoreTarget[] = [];
  for (const value of values) {
    const reason = skipReason(value);
    if (reason) skipped.push({ pv_id: value.pv_id, pv_name: value.pv_name, reason });
    else writes.push(value);
  }
  const total = writes.length;
  const percentOf = (done: number) => 10 + Math.floor((85 * done) / Math.max(1, total));
  const report = (done: number) => options.progress?.(percentOf(done), `Restored ${done}/${total} PVs`, { processed: done, total }).catch(() => {});
  // Recorded before the first write, so a restart mid-restore can say "after x/N writes" (spec §4.4).
  await report(0);
  // Reported at each new percent, not at each write: the job's throttle stores only a few of them, and
  // each one costs a message and objects while the writes wait. A restart's "after x/N writes" may so
  // name up to a percent fewer writes than were made, never more.
  let reported = percentOf(0);
  const results = await epics.putMany(
    writes.map((w) => ({ address: w.setpoint_name!, value: w.setpoint_value as PutValue })),
    {
      connectTimeoutMs: settings.connectTimeoutMs,
      timeoutMs: settings.timeoutMs,
      concurrency: settings.chunkSize,
      signal: options.signal,
      onProgress: (done) => {
        if (percentOf(done) === reported) return;
        reported = percentOf(done);
        void report(done);
      },
    },
  );
  const failures: RestoreResult['failures'] = [];
  results.forEach((result, i) => {
    if (!result.ok) failures.push({ pv_id: writes[i]!.pv_id, pv_name: writes[i]!.pv_name, error: result.error });
  });
  return {
    total_pvs: total,
    success_count: total - failures.length,
    failure_count: failures.length,
    skipped_count: skipped.length,
    failures_truncated: false,
    failures,
    skipped,
  };
}

/** A job result keeps at most `max` failures and skips (spec D20); the synchronous reply lists them all. */
export function capReport(result: RestoreResult, max: number): RestoreResult {
  const truncated = result.failures.length > max || result.skipped.length > max;
  return { ...result, failures_truncated: truncated, failures: result.failures.slice(0, max), skipped: result.skipped.slice(0, max) };
}

export interface DryRunItem {
  pv_id: string | null;
  pv_name: string;
  snapshot_value: unknown;
  live_value: unknown;
  live_connected: boolean | null;
  within_tolerance: boolean | null;
  action: 'write' | 'skip';
  reason?: SkipReason;
}

/** The restore preview (Addition, Phoebus style): what would be written and how far live values are. */
export async function previewRestore(
  snapshotId: string,
  values: readonly RestoreTarget[],
  live: { source: 'cache' | 'epics'; cache: LiveCache; epics: EpicsClient; settings: RestoreSettings },
) {
  const writable = values.filter((v) => !skipReason(v));
  const addresses = [...new Set(writable.map((v) => v.setpoint_name!))];
  const liveValues = new Map<string, { value: unknown; connected: boolean }>();
  let missing = addresses;
  if (live.source === 'cache') {
    try {
      for (const [address, entry] of await live.cache.get(addresses)) liveValues.set(address, epicsValueFromEntry(entry));
      missing = addresses.filter((a) => !liveValues.has(a));
    } catch {
      missing = addresses;
    }
  }
  if (missing.length) {
    const results = await live.epics.getMany(missing, { connectTimeoutMs: live.settings.connectTimeoutMs, timeoutMs: live.settings.timeoutMs, concurrency: live.settings.chunkSize });
    results.forEach((r, i) => liveValues.set(missing[i]!, r.ok ? epicsValueFromReading(r.reading) : { value: null, connected: false }));
  }
  const items: DryRunItem[] = values.map((value) => {
    const reason = skipReason(value);
    if (reason) return { pv_id: value.pv_id, pv_name: value.pv_name, snapshot_value: value.setpoint_value, live_value: null, live_connected: null, within_tolerance: null, action: 'skip', reason };
    const current = liveValues.get(value.setpoint_name!)!;
    const within = current.connected ? withinTolerance(value.setpoint_value, current.value, { abs: value.abs_tolerance, rel: value.rel_tolerance }) : null;
    return { pv_id: value.pv_id, pv_name: value.pv_name, snapshot_value: value.setpoint_value, live_value: current.value, live_connected: current.connected, within_tolerance: within, action: 'write' };
  });
  const written = items.filter((i) => i.action === 'write');
  return {
    snapshot_id: snapshotId,
    dry_run: true,
    total_pvs: written.length,
    would_write: written.length,
    within_tolerance: written.filter((i) => i.within_tolerance === true).length,
    out_of_tolerance: written.filter((i) => i.within_tolerance === false).length,
    disconnected: written.filter((i) => i.live_connected === false).length,
    skipped_count: items.length - written.length,
    items,
  };
}
