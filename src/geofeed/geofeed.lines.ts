import { stringify } from 'csv-stringify/sync';
import type { GeofeedRow } from './geofeed.repository';

export const GEOFEED_HEADER = '# iplease geofeed\n';

/** What a spreadsheet would run as a formula: = + - @ (also after spaces or control characters), or a tab/CR. */
export function startsLikeFormula(value: string): boolean {
  return /^[\s\u00a0\p{Cc}]*[=+\-@]/u.test(value) || /^[\t\r]/.test(value);
}

/**
 * RFC 8805: prefix, country, ISO 3166-2 subdivision, city, postal code (left empty, as the RFC
 * advises). A city that would start a formula (refused on input since; older rows may hold one)
 * is left out rather than served to spreadsheets that open the feed.
 */
export function geofeedLines(rows: readonly GeofeedRow[]): string {
  return stringify(
    rows.map((r) => [
      r.prefix,
      r.country_code.trim(),
      r.subdivision_code ?? '',
      r.city && !startsLikeFormula(r.city) ? r.city : '',
      '',
    ]),
    { record_delimiter: 'unix' },
  );
}
