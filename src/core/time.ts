const MILLIS_PER_DAY = 86_400_000;
/** year 10000: from there on toISOString writes six-digit years */
const FOUR_DIGIT_YEARS_END_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * `YYYY-MM-DDTHH:MM:SS` (UTC) of the second holding `millis`, as `toISOString` writes it. Apps render
 * tens of thousands of times per answer (a series, a snapshot), mostly of a few days: the date is
 * formatted once per day and the clock from a table, about 3× faster than `toISOString` each time.
 */
export function utcSeconds(millis: number): string {
  if (millis < 0 || millis >= FOUR_DIGIT_YEARS_END_MS) return new Date(millis).toISOString().slice(0, 19);
  const day = Math.floor(millis / MILLIS_PER_DAY);
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * MILLIS_PER_DAY).toISOString().slice(0, 11);
    cachedDay = day;
  }
  const secondOfDay = Math.floor((millis - day * MILLIS_PER_DAY) / 1000);
  const hour = Math.floor(secondOfDay / 3600);
  return `${cachedDayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[Math.floor(secondOfDay / 60) % 60]}:${TWO_DIGITS[secondOfDay % 60]}`;
}

/** `toISOString()` of `millis`, through the same per-day cache as utcSeconds */
export function isoMillis(millis: number): string {
  if (millis < 0 || millis >= FOUR_DIGIT_YEARS_END_MS) return new Date(millis).toISOString();
  return `${utcSeconds(millis)}.${String(millis % 1000).padStart(3, '0')}Z`;
}
