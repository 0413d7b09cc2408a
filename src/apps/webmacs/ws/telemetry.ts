import type { IngestItem } from '../ingestion/pipeline.ts';
import { parseInputDatetime } from '../time.ts';

export const MAX_TELEMETRY_BATCH = 500;

export type TelemetryFrame =
  | { kind: 'ignore' }
  | { kind: 'error'; id: unknown; message: string }
  | { kind: 'batch'; id: unknown; items: IngestItem[]; dropped: number };

function toValue(raw: unknown): number | undefined {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * A controller frame `{"datapoints":[…], "id"?}` (spec §3.15): oversized batches are refused, items
 * that are not usable are dropped and counted, and a frame left with none is an error.
 */
export function readTelemetryFrame(frame: unknown, nowMicros: number, futureToleranceMicros: number): TelemetryFrame {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return { kind: 'ignore' };
  const { datapoints, id } = frame as { datapoints?: unknown; id?: unknown };
  if (!Array.isArray(datapoints) || datapoints.length === 0) return { kind: 'ignore' };
  if (datapoints.length > MAX_TELEMETRY_BATCH) {
    return { kind: 'error', id, message: `Batch too large (${datapoints.length}), max ${MAX_TELEMETRY_BATCH}` };
  }
  const items: IngestItem[] = [];
  for (const raw of datapoints) {
    if (typeof raw !== 'object' || raw === null) continue;
    const { value, event_public_id: eventPublicId, timestamp } = raw as Record<string, unknown>;
    const numeric = toValue(value);
    if (numeric === undefined || typeof eventPublicId !== 'string') continue;
    let ts: number | undefined;
    if (timestamp !== undefined && timestamp !== null) {
      ts = typeof timestamp === 'string' ? parseInputDatetime(timestamp) : undefined;
      if (ts === undefined || ts < 0 || ts > nowMicros + futureToleranceMicros) continue;
    }
    items.push(ts === undefined ? { value: numeric, eventPublicId } : { value: numeric, eventPublicId, ts });
  }
  if (items.length === 0) return { kind: 'error', id, message: 'No valid datapoints in batch' };
  return { kind: 'batch', id, items, dropped: datapoints.length - items.length };
}
