import type { SnapshotValueView } from './service.ts';

const HEADER = ['pv_name', 'setpoint_address', 'readback_address', 'setpoint_value', 'readback_value', 'status', 'severity', 'timestamp', 'units', 'read_only', 'abs_tolerance', 'rel_tolerance', 'tags'];

/** RFC 4180: quote a field holding a comma, quote, CR or LF, doubling inner quotes. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${HEADER.join(',')}\r\n`;
}

export function csvRow(value: SnapshotValueView): string {
  return `${[
    value.pv_name,
    value.setpoint_name,
    value.readback_name,
    value.setpoint_value,
    value.readback_value,
    value.status,
    value.severity,
    value.timestamp,
    value.setpoint?.units ?? value.readback?.units ?? null,
    value.read_only,
    value.abs_tolerance,
    value.rel_tolerance,
    value.tags.map((t) => `${t.group_name}/${t.name}`).join(';'),
  ]
    .map(field)
    .join(',')}\r\n`;
}

/** `snapshot-<title-slug>-<YYYYMMDD-HHMMSS>.csv` */
export function csvFilename(title: string, createdAt: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'snapshot';
  const stamp = createdAt.slice(0, 19).replace(/-/g, '').replace(/:/g, '').replace('T', '-');
  return `snapshot-${slug}-${stamp}.csv`;
}
