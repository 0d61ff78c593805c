import fc from 'fast-check';
import { Cidr, SPECIAL_PURPOSE_ENTRIES, cidrFromString, findSpecialPurpose, leasabilityError } from '../../../src/ip';
import { oracleLast, oracleNetwork, oracleParseCidr } from './oracle';

// Written out independently of the source table so a typo in either one fails.
const REGISTRY: readonly [prefix: string, name: string, rfc: string][] = [
  ['0.0.0.0/8', 'This network', 'RFC 791'],
  ['10.0.0.0/8', 'Private-Use', 'RFC 1918'],
  ['100.64.0.0/10', 'Shared Address Space', 'RFC 6598'],
  ['127.0.0.0/8', 'Loopback', 'RFC 1122'],
  ['169.254.0.0/16', 'Link Local', 'RFC 3927'],
  ['172.16.0.0/12', 'Private-Use', 'RFC 1918'],
  ['192.0.0.0/24', 'IETF Protocol Assignments', 'RFC 6890'],
  ['192.0.2.0/24', 'Documentation (TEST-NET-1)', 'RFC 5737'],
  ['192.31.196.0/24', 'AS112-v4', 'RFC 7535'],
  ['192.52.193.0/24', 'AMT', 'RFC 7450'],
  ['192.88.99.0/24', 'Deprecated 6to4 Relay Anycast', 'RFC 7526'],
  ['192.168.0.0/16', 'Private-Use', 'RFC 1918'],
  ['192.175.48.0/24', 'Direct Delegation AS112 Service', 'RFC 7534'],
  ['198.18.0.0/15', 'Benchmarking', 'RFC 2544'],
  ['198.51.100.0/24', 'Documentation (TEST-NET-2)', 'RFC 5737'],
  ['203.0.113.0/24', 'Documentation (TEST-NET-3)', 'RFC 5737'],
  ['224.0.0.0/4', 'Multicast', 'RFC 5771'],
  ['240.0.0.0/4', 'Reserved', 'RFC 1112'],
  ['255.255.255.255/32', 'Limited Broadcast', 'RFC 919'],
];

const SPECIAL = 'IANA IPv4 Special-Purpose Address Registry';

function registryOf(name: string): string {
  return name === 'Multicast' ? 'IANA IPv4 Address Space Registry' : SPECIAL;
}

describe('special-purpose registry', () => {
  it('holds exactly the expected entries, in address order', () => {
    expect(SPECIAL_PURPOSE_ENTRIES.map((e) => [e.prefix, e.name, e.rfc])).toEqual(REGISTRY);
  });

  it('entries are canonical, ascending, and disjoint except Limited Broadcast inside 240.0.0.0/4', () => {
    const blocks = REGISTRY.map(([prefix]) => oracleParseCidr(prefix));
    const nested: string[] = [];
    for (const [i, block] of blocks.entries()) {
      expect(oracleNetwork(block.network, block.length)).toBe(block.network);
      if (i === 0) continue;
      expect(block.network).toBeGreaterThan(blocks[i - 1].network);
      if (block.network <= oracleLast(blocks[i - 1])) nested.push(`${REGISTRY[i][0]} in ${REGISTRY[i - 1][0]}`);
    }
    expect(nested).toEqual(['255.255.255.255/32 in 240.0.0.0/4']);
  });

  it.each(REGISTRY)('refuses %s itself, naming %s (%s)', (prefix, name, rfc) => {
    const entry = findSpecialPurpose(cidrFromString(prefix));
    expect(entry).toEqual({ prefix, name, rfc, registry: registryOf(name) });
    expect(leasabilityError(cidrFromString(prefix))).toBe(
      `${prefix} lies in ${prefix} (${name}, ${rfc}) of the ${registryOf(name)}; it cannot be leased`,
    );
  });

  it.each(REGISTRY)('refuses the first and last address of %s', (prefix, name) => {
    const block = oracleParseCidr(prefix);
    for (const address of [block.network, oracleLast(block)]) {
      const expected = address === 2 ** 32 - 1 ? 'Limited Broadcast' : name;
      expect(findSpecialPurpose({ network: address, length: 32 })?.name).toBe(expected);
    }
  });

  it.each([
    [
      '10.1.0.0/16',
      '10.1.0.0/16 lies in 10.0.0.0/8 (Private-Use, RFC 1918) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '100.64.1.0/24',
      '100.64.1.0/24 lies in 100.64.0.0/10 (Shared Address Space, RFC 6598) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '127.0.0.1/32',
      '127.0.0.1/32 lies in 127.0.0.0/8 (Loopback, RFC 1122) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '172.31.255.0/24',
      '172.31.255.0/24 lies in 172.16.0.0/12 (Private-Use, RFC 1918) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '192.168.1.0/24',
      '192.168.1.0/24 lies in 192.168.0.0/16 (Private-Use, RFC 1918) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '198.19.0.0/16',
      '198.19.0.0/16 lies in 198.18.0.0/15 (Benchmarking, RFC 2544) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '192.0.0.0/29',
      '192.0.0.0/29 lies in 192.0.0.0/24 (IETF Protocol Assignments, RFC 6890) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '232.0.0.0/8',
      '232.0.0.0/8 lies in 224.0.0.0/4 (Multicast, RFC 5771) of the IANA IPv4 Address Space Registry; it cannot be leased',
    ],
    [
      '255.255.255.254/31',
      '255.255.255.254/31 lies in 240.0.0.0/4 (Reserved, RFC 1112) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '240.0.0.0/4',
      '240.0.0.0/4 lies in 240.0.0.0/4 (Reserved, RFC 1112) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
    [
      '250.0.0.0/8',
      '250.0.0.0/8 lies in 240.0.0.0/4 (Reserved, RFC 1112) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    ],
  ])('refuses %s, which lies inside an entry', (prefix, message) => {
    expect(leasabilityError(cidrFromString(prefix))).toBe(message);
  });

  it.each([
    ['0.0.0.0/0', '0.0.0.0/8', 'This network'],
    ['96.0.0.0/3', '100.64.0.0/10', 'Shared Address Space'],
    ['8.0.0.0/5', '10.0.0.0/8', 'Private-Use'],
    ['100.0.0.0/8', '100.64.0.0/10', 'Shared Address Space'],
    ['169.0.0.0/8', '169.254.0.0/16', 'Link Local'],
    ['172.0.0.0/8', '172.16.0.0/12', 'Private-Use'],
    ['192.0.0.0/16', '192.0.0.0/24', 'IETF Protocol Assignments'],
    ['192.52.0.0/16', '192.52.193.0/24', 'AMT'],
    ['198.0.0.0/8', '198.18.0.0/15', 'Benchmarking'],
    ['203.0.0.0/16', '203.0.113.0/24', 'Documentation (TEST-NET-3)'],
    ['192.0.0.0/2', '192.0.0.0/24', 'IETF Protocol Assignments'],
    ['200.0.0.0/5', '203.0.113.0/24', 'Documentation (TEST-NET-3)'],
    ['224.0.0.0/3', '224.0.0.0/4', 'Multicast'],
  ])('refuses %s, which overlaps %s without lying inside it', (prefix, entryPrefix, name) => {
    const c = cidrFromString(prefix);
    expect(findSpecialPurpose(c)?.prefix).toBe(entryPrefix);
    const message = leasabilityError(c);
    expect(message).toMatch(
      new RegExp(
        `^${escape(prefix)} contains ${escape(entryPrefix)} \\(${escape(name)}, RFC \\d+\\) of the IANA IPv4 `,
      ),
    );
    expect(message).toMatch(/; it cannot be leased$/);
  });

  it('names the lowest overlapping entry for 96.0.0.0/3', () => {
    expect(leasabilityError(cidrFromString('96.0.0.0/3'))).toBe(
      '96.0.0.0/3 contains 100.64.0.0/10 (Shared Address Space, RFC 6598) of the IANA IPv4 Special-Purpose Address Registry; it cannot be leased',
    );
  });

  it.each([
    '185.10.20.0/24',
    '8.8.8.0/24',
    '1.1.1.0/24',
    '1.0.0.0/8',
    '11.0.0.0/8',
    '9.255.255.255/32',
    '100.63.255.0/24',
    '100.128.0.0/9',
    '126.255.255.255/32',
    '128.0.0.0/3',
    '169.253.0.0/16',
    '169.255.0.0/16',
    '172.15.255.0/24',
    '172.32.0.0/11',
    '192.0.1.0/24',
    '192.0.3.0/24',
    '192.167.255.0/24',
    '192.169.0.0/16',
    '198.17.255.0/24',
    '198.20.0.0/14',
    '198.51.101.0/24',
    '203.0.112.0/24',
    '223.255.255.0/24',
  ])('accepts public %s', (prefix) => {
    expect(findSpecialPurpose(cidrFromString(prefix))).toBeUndefined();
    expect(leasabilityError(cidrFromString(prefix))).toBeUndefined();
  });

  it('refuses a random prefix exactly when it overlaps an entry, naming the narrowest container first (interval oracle)', () => {
    const intervals = REGISTRY.map(([prefix, name]) => {
      const block = oracleParseCidr(prefix);
      return { start: BigInt(block.network), end: BigInt(oracleLast(block)), name };
    });
    const cidr = fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
      .map(([address, length]): Cidr => ({ network: oracleNetwork(address, length), length }));
    fc.assert(
      fc.property(cidr, (c) => {
        const start = BigInt(c.network);
        const end = BigInt(oracleLast(c));
        const containing = intervals.filter((i) => i.start <= start && end <= i.end);
        const narrowest = containing.sort((a, b) => Number(a.end - a.start - (b.end - b.start)))[0];
        const hit = narrowest ?? intervals.find((i) => i.start <= end && start <= i.end);
        expect(findSpecialPurpose(c)?.name).toBe(hit?.name);
        const message = leasabilityError(c);
        if (hit) expect(message).toContain(`(${hit.name}, `);
        else expect(message).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
