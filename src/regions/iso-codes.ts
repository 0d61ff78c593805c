import { iso31661, iso31661Reserved, iso31662 } from 'iso-3166';

/** The code lists from the iso-3166 package, turned into Sets once at load. */
const COUNTRY_CODES: ReadonlySet<string> = new Set(iso31661.map((c) => c.alpha2));
/** Reserved (unassigned) codes such as UK or EU, with the assigned code for the same country when there is one (UK → GB). */
const RESERVED_COUNTRY_CODES: ReadonlyMap<string, { name: string; assigned?: string }> = new Map(
  iso31661Reserved.map((r) => [
    r.alpha2,
    {
      name: r.name,
      assigned: (iso31661.find((c) => c.name === r.name) ?? iso31661.find((c) => c.name.startsWith(r.name)))?.alpha2,
    },
  ]),
);
const SUBDIVISION_CODES: ReadonlySet<string> = new Set(iso31662.map((s) => s.code));

export function isCountryCode(value: unknown): value is string {
  return typeof value === 'string' && COUNTRY_CODES.has(value);
}

export function isSubdivisionCode(value: unknown): value is string {
  return typeof value === 'string' && SUBDIVISION_CODES.has(value);
}

/** Why a value is not an assigned alpha-2 code, with the likely fix where there is one. */
export function countryCodeProblem(field: string, value: unknown): string {
  const base = `${field} must be an assigned ISO 3166-1 alpha-2 code in upper case (e.g. GB)`;
  if (typeof value !== 'string') return base;
  const shown = JSON.stringify(value.slice(0, 20));
  if (value !== value.toUpperCase() && COUNTRY_CODES.has(value.toUpperCase()))
    return `${base}; got ${shown}, did you mean ${value.toUpperCase()}?`;
  const reserved = RESERVED_COUNTRY_CODES.get(value.toUpperCase());
  if (reserved)
    return `${base}; ${shown} (${reserved.name}) is reserved, not assigned${reserved.assigned ? `: use ${reserved.assigned}` : ''}`;
  return `${base}; ${shown} is not one`;
}

export function subdivisionCodeProblem(field: string, value: unknown): string {
  const base = `${field} must be an ISO 3166-2 subdivision code in upper case (e.g. GB-ENG)`;
  if (typeof value !== 'string') return base;
  const shown = JSON.stringify(value.slice(0, 20));
  if (value !== value.toUpperCase() && SUBDIVISION_CODES.has(value.toUpperCase()))
    return `${base}; got ${shown}, did you mean ${value.toUpperCase()}?`;
  return `${base}; ${shown} is not one`;
}
