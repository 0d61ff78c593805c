import { parse } from 'csv-parse/sync';
import { ValidationFailed } from '../errors/domain-errors';
import { parseAsnText, parseCanonicalCidr } from '../ip';

/** One validated ROA payload (RFC 6811: prefix, maximum length, origin AS). */
export interface Vrp {
  prefix: string;
  maxLength: number;
  asn: number;
  ta: string | null;
}

export const VRP_FORMATS = ['rpki-client-json', 'routinator-json', 'routinator-jsonext', 'csv'] as const;
export type VrpFormat = (typeof VRP_FORMATS)[number];

export interface VrpSnapshot {
  format: VrpFormat;
  vrps: Vrp[];
  /** IPv6 entries: counted, not stored (iplease is IPv4 only). */
  skipped: number;
}

/** How many entry errors are listed before the answer says "and N more". */
const MAX_LISTED_ERRORS = 100;

interface EntryError {
  row: number;
  field: string;
  message: string;
}

/**
 * Reads a validated-ROA snapshot as published by the relying-party software:
 * - rpki-client `json`: `{ "roas": [ { "asn": 13335, "prefix", "maxLength", "ta", "expires" } ] }`
 * - Routinator `json`: the same with `"asn": "AS13335"`; `jsonext` has `source: [{ tal, … }]` instead of `ta`
 * - CSV (rpki-client and Routinator): `ASN,IP Prefix,Max Length,Trust Anchor[,Expires]`
 * Entries are numbered from 1 in file order in error messages.
 */
export function parseVrps(body: Buffer): VrpSnapshot {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/^\uFEFF/, '');
  } catch {
    throw ValidationFailed.field('body', 'is not valid UTF-8');
  }
  const start = text.trimStart()[0];
  if (start === undefined)
    throw ValidationFailed.field('body', 'is empty: expected rpki-client or Routinator JSON, or CSV');
  return start === '{' ? parseJson(text) : parseCsv(text);
}

function parseJson(text: string): VrpSnapshot {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw ValidationFailed.field('body', 'is not valid JSON');
  }
  const roas = (doc as { roas?: unknown }).roas;
  if (!Array.isArray(roas)) {
    throw ValidationFailed.field(
      'roas',
      'must be an array: expected rpki-client or Routinator JSON { "roas": [ ... ] }',
    );
  }
  const first = roas.find((r) => r && typeof r === 'object') as Record<string, unknown> | undefined;
  const format: VrpFormat =
    first && 'source' in first
      ? 'routinator-jsonext'
      : typeof first?.asn === 'string'
        ? 'routinator-json'
        : 'rpki-client-json';
  const errors: EntryError[] = [];
  const vrps: Vrp[] = [];
  let skipped = 0;
  roas.forEach((entry: unknown, i) => {
    const row = i + 1;
    if (!entry || typeof entry !== 'object') {
      errors.push({ row, field: 'roas', message: 'must be an object { asn, prefix, maxLength }' });
      return;
    }
    const e = entry as Record<string, unknown>;
    const source = Array.isArray(e.source) ? (e.source[0] as Record<string, unknown> | undefined) : undefined;
    const ta = typeof e.ta === 'string' ? e.ta : typeof source?.tal === 'string' ? source.tal : null;
    const result = readEntry(row, e.asn, e.prefix, e.maxLength, ta, errors);
    if (result === 'ipv6') skipped++;
    else if (result) vrps.push(result);
  });
  if (errors.length) throw entryErrors(errors);
  return { format, vrps, skipped };
}

function parseCsv(text: string): VrpSnapshot {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    throw ValidationFailed.field('body', `is not valid CSV: ${(error as Error).message}`);
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const [asnAt, prefixAt, maxAt, taAt] = [
    column('asn'),
    column('ip prefix'),
    column('max length'),
    column('trust anchor'),
  ];
  if (asnAt < 0 || prefixAt < 0 || maxAt < 0) {
    throw ValidationFailed.field(
      'body',
      'the CSV header must have ASN,IP Prefix,Max Length (and optionally Trust Anchor,Expires)',
    );
  }
  const errors: EntryError[] = [];
  const vrps: Vrp[] = [];
  let skipped = 0;
  records.slice(1).forEach((record, i) => {
    const row = i + 1;
    const maxText = record[maxAt];
    const maxLength =
      maxText === undefined || maxText === '' ? undefined : /^\d{1,3}$/.test(maxText) ? Number(maxText) : maxText;
    const result = readEntry(
      row,
      record[asnAt],
      record[prefixAt],
      maxLength,
      taAt >= 0 ? record[taAt] || null : null,
      errors,
    );
    if (result === 'ipv6') skipped++;
    else if (result) vrps.push(result);
  });
  if (errors.length) throw entryErrors(errors);
  return { format: 'csv', vrps, skipped };
}

function readEntry(
  row: number,
  asnValue: unknown,
  prefixValue: unknown,
  maxValue: unknown,
  ta: string | null,
  errors: EntryError[],
): Vrp | 'ipv6' | undefined {
  if (typeof prefixValue === 'string' && prefixValue.includes(':')) return 'ipv6';
  const before = errors.length;
  const asn =
    typeof asnValue === 'number' && Number.isInteger(asnValue) && asnValue >= 0 && asnValue <= 4294967295
      ? asnValue
      : typeof asnValue === 'string'
        ? parseAsnText(asnValue)
        : undefined;
  if (asn === undefined) errors.push({ row, field: 'asn', message: 'must be an AS number like 13335 or "AS13335"' });
  const parsed = parseCanonicalCidr(prefixValue);
  if (!parsed.ok) errors.push({ row, field: 'prefix', message: parsed.message });
  const length = parsed.ok ? parsed.value.length : 0;
  // RFC 6811: without a maximum length, the prefix length is the maximum.
  const maxLength = maxValue === undefined || maxValue === null ? length : maxValue;
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < length || maxLength > 32) {
    errors.push({ row, field: 'maxLength', message: `must be an integer from the prefix length (${length}) to 32` });
  }
  if (errors.length > before) return undefined;
  return {
    prefix: prefixValue as string,
    maxLength: maxLength as number,
    asn: asn as number,
    ta: ta ? ta.slice(0, 64) : null,
  };
}

function entryErrors(errors: EntryError[]): ValidationFailed {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const more = errors.length - listed.length;
  return new ValidationFailed(
    listed,
    `${errors.length} VRP entr${errors.length === 1 ? 'y is' : 'ies are'} invalid; nothing was imported. ` +
      `First: entry ${listed[0].row}, ${listed[0].field}: ${listed[0].message}.${more > 0 ? ` (${more} more not listed.)` : ''}`,
  );
}
