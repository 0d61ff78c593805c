import { Cidr, cidrFromString, contains, formatCidr, overlaps } from './cidr';

export interface SpecialPurposeEntry {
  prefix: string;
  name: string;
  rfc: string;
  /** The IANA registry that reserves it; multicast lives in the Address Space registry, not Special-Purpose. */
  registry: string;
}

const SPECIAL_PURPOSE = 'IANA IPv4 Special-Purpose Address Registry';
const ADDRESS_SPACE = 'IANA IPv4 Address Space Registry';

/**
 * Sorted by address. Entries nested inside these (192.0.0.0/29, 0.0.0.0/32, …) are omitted because
 * the enclosing entry already refuses them; 255.255.255.255/32 is kept inside 240.0.0.0/4 because
 * "Limited Broadcast" is the more useful name for that address.
 */
export const SPECIAL_PURPOSE_ENTRIES: readonly SpecialPurposeEntry[] = Object.freeze(
  [
    { prefix: '0.0.0.0/8', name: 'This network', rfc: 'RFC 791' },
    { prefix: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918' },
    { prefix: '100.64.0.0/10', name: 'Shared Address Space', rfc: 'RFC 6598' },
    { prefix: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122' },
    { prefix: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927' },
    { prefix: '172.16.0.0/12', name: 'Private-Use', rfc: 'RFC 1918' },
    { prefix: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890' },
    { prefix: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737' },
    { prefix: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535' },
    { prefix: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450' },
    { prefix: '192.88.99.0/24', name: 'Deprecated 6to4 Relay Anycast', rfc: 'RFC 7526' },
    { prefix: '192.168.0.0/16', name: 'Private-Use', rfc: 'RFC 1918' },
    { prefix: '192.175.48.0/24', name: 'Direct Delegation AS112 Service', rfc: 'RFC 7534' },
    { prefix: '198.18.0.0/15', name: 'Benchmarking', rfc: 'RFC 2544' },
    { prefix: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737' },
    { prefix: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737' },
    { prefix: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', registry: ADDRESS_SPACE },
    { prefix: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112' },
    { prefix: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919' },
  ].map((entry) => Object.freeze({ registry: SPECIAL_PURPOSE, ...entry })),
);

const PARSED: readonly { entry: SpecialPurposeEntry; cidr: Cidr }[] = SPECIAL_PURPOSE_ENTRIES.map((entry) => ({
  entry,
  cidr: cidrFromString(entry.prefix),
}));

/**
 * The most specific entry that contains `c`; failing that, the lowest-address entry that `c`
 * overlaps (for a prefix larger than the entries it swallows, e.g. 0.0.0.0/0).
 */
export function findSpecialPurpose(c: Cidr): SpecialPurposeEntry | undefined {
  return find(c)?.entry;
}

/** Why `c` cannot be leased, or undefined when it is ordinary unicast space. */
export function leasabilityError(c: Cidr): string | undefined {
  const hit = find(c);
  if (!hit) return undefined;
  const { entry, cidr } = hit;
  // Aligned prefixes that overlap are nested one way or the other.
  const relation = contains(cidr, c) ? 'lies in' : 'contains';
  return `${formatCidr(c)} ${relation} ${entry.prefix} (${entry.name}, ${entry.rfc}) of the ${entry.registry}; it cannot be leased`;
}

function find(c: Cidr): (typeof PARSED)[number] | undefined {
  let container: (typeof PARSED)[number] | undefined;
  for (const p of PARSED) {
    if (contains(p.cidr, c) && (!container || p.cidr.length > container.cidr.length)) container = p;
  }
  return container ?? PARSED.find((p) => overlaps(p.cidr, c));
}
