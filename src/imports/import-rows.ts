import { isISO4217CurrencyCode } from 'class-validator';
import { checkPrintableName, isCalendarDate } from '../common/validators';
import { checkOriginAsn, leasabilityError, parseAsnText, parseCanonicalCidr } from '../ip';
import { TAG_PATTERN } from '../leases/dto/lease.dto';
import { RIRS } from '../lessors/dto/lessor.dto';
import type { RowError, SourceRow } from './import-source';

export const LEASE_COLUMNS = [
  'prefix',
  'lessor',
  'rir',
  'startDate',
  'endDate',
  'autoRenew',
  'renewalTermMonths',
  'noticePeriodDays',
  'pricePerIpMonthly',
  'currency',
  'contractRef',
  'originAsn',
  'tags',
] as const;
export const LEASE_REQUIRED = ['prefix', 'lessor', 'startDate', 'pricePerIpMonthly', 'currency'] as const;

export const ALLOCATION_COLUMNS = [
  'prefix',
  'region',
  'provider',
  'effectiveDate',
  'name',
  'description',
  'tags',
  'originAsn',
] as const;
export const ALLOCATION_REQUIRED = ['prefix', 'region', 'provider'] as const;

export interface LeaseImportRow {
  row: number;
  prefix: string;
  lessor: string;
  rir: string | null;
  startDate: string;
  endDate: string | null;
  autoRenew: boolean;
  renewalTermMonths: number;
  noticePeriodDays: number;
  pricePerIpMonthly: string;
  currency: string;
  contractRef: string | null;
  originAsn: number | null;
  tags: string[];
}

export interface AllocationImportRow {
  row: number;
  prefix: string;
  region: string;
  provider: string;
  effectiveDate: string | null;
  name: string | null;
  description: string | null;
  tags: string[];
  originAsn: number | null;
}

const DECIMAL = /^\d{1,10}(\.\d{1,4})?$/;

/** Collects one error per bad field of a row while reading its cells. */
class RowReader {
  constructor(
    private readonly source: SourceRow,
    private readonly errors: RowError[],
  ) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ row: this.source.row, field, message });
    return undefined;
  }

  text(field: string): string {
    return this.source.cells[field] ?? '';
  }

  required(field: string): string | undefined {
    const value = this.text(field);
    return value === '' ? this.fail(field, 'is required') : value;
  }

  optional(field: string, max: number): string | null | undefined {
    const value = this.text(field);
    if (value === '') return null;
    if ([...value].length > max) return this.fail(field, `must be at most ${max} characters`);
    // Tabs and line breaks are fine in free text (a multi-line description); other controls are not.
    if (/[^\P{Cc}\t\n\r]/u.test(value)) return this.fail(field, 'must not contain control characters');
    return value;
  }

  prefix(leasable: boolean): string | undefined {
    const value = this.required('prefix');
    if (value === undefined) return undefined;
    const parsed = parseCanonicalCidr(value);
    if (!parsed.ok) return this.fail('prefix', parsed.message);
    if (leasable) {
      const refused = leasabilityError(parsed.value);
      if (refused) return this.fail('prefix', refused);
    }
    return value;
  }

  date(field: string, required: boolean): string | null | undefined {
    const value = required ? this.required(field) : this.text(field) || null;
    if (value === undefined || value === null) return value;
    return isCalendarDate(value) ? value : this.fail(field, 'must be a calendar date YYYY-MM-DD');
  }

  integer(field: string, min: number, max: number, fallback: number): number | undefined {
    const value = this.text(field);
    if (value === '') return fallback;
    if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) {
      return this.fail(field, `must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  }

  boolean(field: string): boolean | undefined {
    const value = this.text(field).toLowerCase();
    if (value === '' || value === 'false') return false;
    if (value === 'true') return true;
    return this.fail(field, 'must be true or false');
  }

  originAsn(): number | null | undefined {
    const value = this.text('originAsn');
    if (value === '') return null;
    const asn = parseAsnText(value);
    if (asn === undefined) return this.fail('originAsn', 'must be an AS number like 16509 or AS16509');
    const check = checkOriginAsn(asn);
    return check.ok ? asn : this.fail('originAsn', check.message);
  }

  tags(): string[] | undefined {
    const value = this.text('tags');
    if (value === '') return [];
    const tags = [...new Set(value.split(';').map((t) => t.trim()))].filter((t) => t !== '');
    if (tags.length > 50) return this.fail('tags', 'at most 50 tags');
    const bad = tags.find((t) => !TAG_PATTERN.test(t));
    if (bad !== undefined) {
      return this.fail(
        'tags',
        `${JSON.stringify(bad)}: each tag must be 1-64 characters: letters, digits and . _ : / @ + = - (separate tags with ;)`,
      );
    }
    return tags;
  }
}

/** Field checks that need no database; rows with an error are left out of the result. */
export function readLeaseRows(sources: SourceRow[], errors: RowError[]): LeaseImportRow[] {
  const rows: LeaseImportRow[] = [];
  for (const source of sources) {
    const before = errors.length;
    const r = new RowReader(source, errors);
    const prefix = r.prefix(true);
    const lessor = r.required('lessor');
    if (lessor !== undefined && [...lessor].length > 200) r.fail('lessor', 'must be at most 200 characters');
    const rirText = r.text('rir').toUpperCase();
    const rir = rirText === '' ? null : (RIRS as readonly string[]).includes(rirText) ? rirText : undefined;
    if (rir === undefined) r.fail('rir', `must be one of ${RIRS.join(', ')}`);
    const startDate = r.date('startDate', true);
    const endDate = r.date('endDate', false);
    const autoRenew = r.boolean('autoRenew');
    const renewalTermMonths = r.integer('renewalTermMonths', 1, 120, 12);
    const noticePeriodDays = r.integer('noticePeriodDays', 0, 3650, 30);
    const price = r.required('pricePerIpMonthly');
    if (price !== undefined && !DECIMAL.test(price)) {
      r.fail('pricePerIpMonthly', 'must be a decimal with up to 4 decimals, like 0.4500');
    }
    const currency = r.required('currency');
    if (currency !== undefined && !(/^[A-Z]{3}$/.test(currency) && isISO4217CurrencyCode(currency))) {
      r.fail('currency', 'must be an ISO 4217 code like USD or EUR');
    }
    const contractRef = r.optional('contractRef', 200);
    const originAsn = r.originAsn();
    const tags = r.tags();
    if (startDate && endDate && endDate < startDate) r.fail('endDate', 'must not be before startDate');
    if (autoRenew && endDate === null) r.fail('endDate', 'is required with autoRenew (the end of the first term)');
    if (errors.length > before) continue;
    rows.push({
      row: source.row,
      prefix: prefix as string,
      lessor: lessor as string,
      rir: rir as string | null,
      startDate: startDate as string,
      endDate: endDate as string | null,
      autoRenew: autoRenew as boolean,
      renewalTermMonths: renewalTermMonths as number,
      noticePeriodDays: noticePeriodDays as number,
      pricePerIpMonthly: price as string,
      currency: currency as string,
      contractRef: contractRef as string | null,
      originAsn: originAsn as number | null,
      tags: tags as string[],
    });
  }
  return rows;
}

export function readAllocationRows(sources: SourceRow[], errors: RowError[], today: string): AllocationImportRow[] {
  const rows: AllocationImportRow[] = [];
  for (const source of sources) {
    const before = errors.length;
    const r = new RowReader(source, errors);
    const prefix = r.prefix(false);
    const region = r.required('region');
    const provider = r.required('provider');
    const effectiveDate = r.date('effectiveDate', false);
    if (effectiveDate && effectiveDate > today)
      r.fail('effectiveDate', `must not be in the future (today is ${today})`);
    const nameText = r.text('name');
    let name: string | null = null;
    if (nameText !== '') {
      const check = checkPrintableName(nameText, 128);
      if (check.ok) name = nameText;
      else r.fail('name', check.message as string);
    }
    const description = r.optional('description', 1000);
    const tags = r.tags();
    const originAsn = r.originAsn();
    if (errors.length > before) continue;
    rows.push({
      row: source.row,
      prefix: prefix as string,
      region: region as string,
      provider: provider as string,
      effectiveDate: effectiveDate as string | null,
      name,
      description: description as string | null,
      tags: tags as string[],
      originAsn: originAsn as number | null,
    });
  }
  return rows;
}
