/**
 * The experiment CSV export format (spec §3.6, D30): byte-compatible with upstream's Python
 * `csv.writer` output, so `value` follows Python's float `repr` and lines end in CRLF.
 */
export const CSV_HEADER = ['timestamp', 'event_name', 'event_public_id', 'value', 'unit', 'datapoint_public_id'] as const;

/** Python `repr(float)`: shortest round-trip digits, fixed for −4 ≤ exponent < 16, else `d.ddde±XX`. */
export function pythonFloatRepr(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${integer}.${fraction}`;
}

const NEEDS_QUOTING = /[",\r\n]/;

/** RFC 4180 minimal quoting, as Python's `csv.QUOTE_MINIMAL` does it. */
export function csvField(text: string): string {
  return NEEDS_QUOTING.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/**
 * `Content-Disposition` for an export: the ASCII `filename` upstream sends plus an RFC 6266
 * `filename*` so non-ASCII names survive (spec §3.6).
 */
export function exportContentDisposition(experimentName: string, experimentPublicId: string): string {
  const idPart = experimentPublicId.slice(experimentPublicId.indexOf('_') + 1, experimentPublicId.indexOf('_') + 9);
  const name = experimentName.replaceAll(' ', '_').replaceAll('/', '-');
  const fileName = `experiment_${name}_${idPart}.csv`;
  // eslint-disable-next-line no-control-regex
  const asciiName = fileName.replace(/["\\\u0000-\u001f\u007f-\u{10ffff}]/gu, '_');
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeRfc5987(fileName)}`;
}

function encodeRfc5987(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
