import { Matches, registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { checkOriginAsn, parseAddressOrPrefix, parseCanonicalCidr } from '../ip';

function parserDecorator(name: string, parse: (value: unknown) => { ok: boolean; message?: string }) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => parse(value).ok,
        defaultMessage: (args: ValidationArguments) => {
          const result = parse(args.value);
          return `${args.property}: ${result.ok ? 'is invalid' : result.message}`;
        },
      },
    });
}

/** Canonical IPv4 CIDR only; the message names the canonical form when host bits are set. */
export const IsCanonicalCidr = parserDecorator('isCanonicalCidr', parseCanonicalCidr);
export const IsAddressOrPrefix = parserDecorator('isAddressOrPrefix', parseAddressOrPrefix);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day `YYYY-MM-DD` between 1900 and 9999 (2026-02-30 is refused). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1900) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const IsCalendarDate = parserDecorator('isCalendarDate', (value) =>
  isCalendarDate(value) ? { ok: true } : { ok: false, message: 'must be a calendar date YYYY-MM-DD' },
);

const DECIMAL = /^\d{1,10}(\.\d{1,4})?$/;
/** Money travels as a decimal string, never a float. */
export const IsDecimalString = parserDecorator('isDecimalString', (value) =>
  typeof value === 'string' && DECIMAL.test(value)
    ? { ok: true }
    : { ok: false, message: 'must be a decimal string with up to 4 decimals, like "0.4500" (not a JSON number)' },
);

/** An origin AS: 1–4294967295 without the reserved and documentation numbers. */
export const IsOriginAsn = parserDecorator('isOriginAsn', checkOriginAsn);

/**
 * No C0/C1 control characters (NUL, line breaks, ESC…) in a name: they break CSV, logs and the
 * geofeed, and PostgreSQL cannot store NUL at all.
 */
export const NoControlCharacters = () =>
  Matches(/^\P{Cc}*$/u, { message: '$property must not contain control characters (line breaks, tabs, NUL, …)' });

/** Printable text (no control, format or unassigned code points), no edge whitespace, 1–`max` characters. */
export function checkPrintableName(value: unknown, max: number): { ok: boolean; message?: string } {
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' };
  const length = [...value].length;
  if (length < 1 || length > max) return { ok: false, message: `must be 1 to ${max} characters` };
  if (/\p{C}/u.test(value))
    return { ok: false, message: 'must contain only printable characters (no control characters)' };
  if (value.trim() !== value) return { ok: false, message: 'must not start or end with whitespace' };
  return { ok: true };
}

export const IsAllocationName = parserDecorator('isAllocationName', (value) => checkPrintableName(value, 128));

/** A list of origin ASNs; the message names the first bad element. */
export const IsOriginAsnList = parserDecorator('isOriginAsnList', (value) => {
  if (!Array.isArray(value)) return { ok: false, message: 'must be an array of AS numbers' };
  for (const [i, asn] of value.entries()) {
    const check = checkOriginAsn(asn);
    if (!check.ok) return { ok: false, message: `item ${i} (${JSON.stringify(asn)}) ${check.message}` };
  }
  return { ok: true };
});
