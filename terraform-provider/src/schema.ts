import { CtyType, ObjectValue, sameValue, typeJson, UNKNOWN, Value } from './values';

/** One attribute of a resource or data source, with the plan rules that belong to it. */
export interface Attr {
  name: string;
  type: CtyType;
  description: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  /** A change replaces the object (Terraform's requires_replace). */
  forceNew?: boolean;
  /** A computed value that stays as it is when other attributes change (ids, sizes). */
  stable?: boolean;
  /** The API's field for this attribute; defaults to the camelCase of `name`. */
  api?: string;
  /** Two spellings of one value (`0.45` and `0.4500`, tags in any order): no diff between them. */
  equivalent?: (a: Value, b: Value) => boolean;
}

export interface Schema {
  version: number;
  description: string;
  attrs: Attr[];
}

export const writable = (a: Attr): boolean => !!(a.required || a.optional);

export const apiField = (a: Attr): string => a.api ?? a.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function objectType(schema: Schema): CtyType {
  return ['object', Object.fromEntries(schema.attrs.map((a) => [a.name, a.type]))] as const;
}

/** tfplugin6.Schema for GetProviderSchema. */
export function toProtoSchema(schema: Schema): unknown {
  return {
    version: schema.version,
    block: {
      version: schema.version,
      description: schema.description,
      description_kind: 'MARKDOWN',
      attributes: schema.attrs.map((a) => ({
        name: a.name,
        type: typeJson(a.type),
        description: a.description + (a.forceNew ? ' Changing it replaces the object.' : ''),
        description_kind: 'MARKDOWN',
        required: !!a.required,
        optional: !!a.optional,
        computed: !!a.computed,
        sensitive: !!a.sensitive,
      })),
      block_types: [],
    },
  };
}

/** Equality under the attribute's own notion of "the same value". */
export function equivalent(attr: Attr, a: Value, b: Value): boolean {
  if (a === UNKNOWN || b === UNKNOWN) return false;
  if (sameValue(a, b, attr.type)) return true;
  return attr.equivalent ? attr.equivalent(a, b) : false;
}

/**
 * After create, update or read: the API's value for each attribute, except where the reference
 * (the planned value, or the prior state) says the same thing in another spelling; then the
 * reference stays, so Terraform never sees a change that is not one.
 */
export function keepSpelling(schema: Schema, fromApi: ObjectValue, reference: ObjectValue | null): ObjectValue {
  const out: ObjectValue = {};
  for (const attr of schema.attrs) {
    const api = fromApi[attr.name] ?? null;
    const ref = reference ? (reference[attr.name] ?? null) : null;
    out[attr.name] = reference && ref !== UNKNOWN && equivalent(attr, ref, api) ? ref : api;
  }
  return out;
}

export interface PlanResult {
  planned: ObjectValue;
  requiresReplace: string[];
}

/**
 * PlanResourceChange's rules. Create: computed attributes the configuration leaves empty are
 * unknown. Update: a configured value equivalent to the prior one keeps the prior spelling;
 * when anything real changes, computed values that may move become unknown and changed
 * force-new attributes are reported for replacement.
 */
export function planChange(
  schema: Schema,
  prior: ObjectValue | null,
  proposed: ObjectValue,
  config: ObjectValue,
): PlanResult {
  const planned: ObjectValue = { ...proposed };
  if (prior === null) {
    for (const attr of schema.attrs) {
      if (attr.computed && (config[attr.name] ?? null) === null) planned[attr.name] = UNKNOWN;
    }
    return { planned, requiresReplace: [] };
  }
  for (const attr of schema.attrs) {
    const configured = config[attr.name] ?? null;
    const before = prior[attr.name] ?? null;
    if (configured !== null && before !== null && equivalent(attr, before, configured)) planned[attr.name] = before;
  }
  const changed = schema.attrs.filter(
    (a) => writable(a) && !sameValue(planned[a.name] ?? null, prior[a.name] ?? null, a.type),
  );
  const requiresReplace = changed.filter((a) => a.forceNew).map((a) => a.name);
  if (changed.length > 0) {
    for (const attr of schema.attrs) {
      const configured = config[attr.name] ?? null;
      if (!attr.computed || configured !== null) continue;
      if (requiresReplace.length > 0 || !attr.stable) planned[attr.name] = UNKNOWN;
    }
  }
  return { planned, requiresReplace };
}

/** Decimal strings compared by value: `0.45` and `0.4500` are one price. */
export function sameDecimal(a: Value, b: Value): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const canonical = (s: string) => {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s.trim());
    if (!m) return undefined;
    const int = m[2].replace(/^0+(?=\d)/, '');
    const frac = (m[3] ?? '').replace(/0+$/, '');
    const sign = int === '0' && frac === '' ? '' : m[1];
    return `${sign}${int}${frac ? `.${frac}` : ''}`;
  };
  const x = canonical(a);
  return x !== undefined && x === canonical(b);
}

/** Sets (of strings or numbers) with null and empty meaning the same: no tags. */
export function sameSet(a: Value, b: Value): boolean {
  const items = (v: Value) => (v === null ? [] : Array.isArray(v) ? (v as Value[]) : undefined);
  const xs = items(a);
  const ys = items(b);
  if (!xs || !ys) return false;
  const sx = new Set(xs);
  const sy = new Set(ys);
  return sx.size === sy.size && [...sx].every((x) => sy.has(x));
}

/** Case-insensitive strings (currency codes, RIR names). */
export function sameIgnoringCase(a: Value, b: Value): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.toUpperCase() === b.toUpperCase();
}
