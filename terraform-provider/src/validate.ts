import { Value } from './values';

/**
 * Why a prefix is not canonical IPv4 CIDR (undefined when it is, or not yet known), naming the
 * canonical form where there is one — the same message a person would get from the API, but at
 * plan time and on the attribute.
 */
export function canonicalPrefixProblem(value: Value): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!m) return `${JSON.stringify(value)} is not an IPv4 prefix in CIDR notation (a.b.c.d/n).`;
  const octets = m.slice(1, 5);
  if (octets.some((o) => o.length > 1 && o.startsWith('0'))) {
    return `${value} has octets with leading zeros; did you mean ${octets.map(Number).join('.')}/${m[5]}?`;
  }
  const length = Number(m[5]);
  if (octets.some((o) => Number(o) > 255) || length > 32) return `${value} is not a valid IPv4 prefix.`;
  const address = octets.reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - length);
  const network = Math.floor(address / size) * size;
  if (network !== address) {
    const canonical = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    return `${value} has host bits set; did you mean ${canonical}/${length}?`;
  }
  return undefined;
}

/** Why a price is not a decimal string such as "0.45" (undefined when it is, or unknown). */
export function decimalProblem(value: Value): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\d{1,10}(\.\d{1,4})?$/.test(value)
    ? undefined
    : `${JSON.stringify(value)} is not a decimal string with at most 4 decimals, e.g. "0.45".`;
}
