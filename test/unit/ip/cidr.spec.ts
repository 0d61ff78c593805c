import fc from 'fast-check';
import { IPv4CidrRange } from 'ip-num';
import {
  Cidr,
  ParseResult,
  addressCount,
  compareCidrs,
  contains,
  formatAddress,
  formatCidr,
  lastAddress,
  overlaps,
  parseAddress,
  parseAddressOrPrefix,
  parseCanonicalCidr,
} from '../../../src/ip';
import { oracleFormatAddress, oracleLast, oracleNetwork } from './oracle';

const EXPECTED_PREFIX = 'must be an IPv4 prefix in CIDR notation, like 185.10.20.0/24';

function refused<T>(result: ParseResult<T>): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.message;
}

function accepted<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`expected acceptance, got "${result.message}"`);
  return result.value;
}

const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const prefixLength = fc.integer({ min: 0, max: 32 });

describe('parseCanonicalCidr', () => {
  it.each([
    ['185.10.20.0/24', 3104445440, 24],
    ['0.0.0.0/0', 0, 0],
    ['0.0.0.0/8', 0, 8],
    ['255.255.255.255/32', 4294967295, 32],
    ['128.0.0.0/1', 2147483648, 1],
    ['10.0.0.0/8', 167772160, 8],
    ['1.2.3.4/32', 16909060, 32],
    ['100.64.0.0/10', 1681915904, 10],
  ])('accepts canonical %s', (text, network, length) => {
    expect(accepted(parseCanonicalCidr(text))).toEqual({ network, length });
  });

  it.each([
    ['185.10.20.7/24', '185.10.20.7/24 has host bits set; did you mean 185.10.20.0/24?'],
    ['10.1.2.3/8', '10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?'],
    ['255.255.255.255/0', '255.255.255.255/0 has host bits set; did you mean 0.0.0.0/0?'],
    ['192.168.1.129/25', '192.168.1.129/25 has host bits set; did you mean 192.168.1.128/25?'],
    ['1.2.3.5/31', '1.2.3.5/31 has host bits set; did you mean 1.2.3.4/31?'],
  ])('refuses %s with host bits set, naming the canonical form', (text, message) => {
    expect(refused(parseCanonicalCidr(text))).toBe(message);
  });

  it.each([
    ['010.0.0.0/8', 'octet 010 has a leading zero; did you mean 10.0.0.0/8?'],
    ['1.02.3.0/24', 'octet 02 has a leading zero; did you mean 1.2.3.0/24?'],
    ['1.2.3.00/24', 'octet 00 has a leading zero; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/024', 'prefix length /024 has a leading zero; did you mean 1.2.3.0/24?'],
    ['0.0.0.0/00', 'prefix length /00 has a leading zero; did you mean 0.0.0.0/0?'],
    ['1.2.3.0/33', '/33 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/-1', '/-1 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/+24', '/+24 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/0x18', '/0x18 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/24.0', '/24.0 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/4294967320', '/4294967320 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.0/', 'the prefix length after "/" is missing (0-32)'],
    ['1.2.3/24', '1.2.3 has 3 octets; an IPv4 address has 4'],
    ['1.2/8', '1.2 has 2 octets; an IPv4 address has 4'],
    ['1/8', EXPECTED_PREFIX],
    ['1.2.3.4.5/24', '1.2.3.4.5 has 5 octets; an IPv4 address has 4'],
    ['1..3.0/24', '1..3.0 has an empty octet'],
    ['/24', EXPECTED_PREFIX],
    ['hello/24', EXPECTED_PREFIX],
    ['256.0.0.0/8', 'octet 256 is greater than 255'],
    ['1.2.3.999/32', 'octet 999 is greater than 255'],
    ['0x1.0.0.0/8', 'octet 0x1 is not a decimal number 0-255'],
    ['a.b.c.d/8', 'octet a is not a decimal number 0-255'],
    ['-1.0.0.0/8', 'octet -1 is not a decimal number 0-255'],
    ['1.2.3.0/24/24', `1.2.3.0/24/24 has more than one "/"; ${EXPECTED_PREFIX}`],
    ['1.2.3.4', '1.2.3.4 is an address, not a prefix; did you mean 1.2.3.4/32?'],
    ['hello', EXPECTED_PREFIX],
    ['1.2.3.0\\24', EXPECTED_PREFIX],
  ])('refuses malformed %j', (text, message) => {
    expect(refused(parseCanonicalCidr(text))).toBe(message);
  });

  it.each([
    ['2001:db8::/32', '2001:db8::/32 is an IPv6 prefix; only IPv4 is supported'],
    ['::/0', '::/0 is an IPv6 prefix; only IPv4 is supported'],
    ['2001:DB8::/48', '2001:DB8::/48 is an IPv6 prefix; only IPv4 is supported'],
    // ip-num's own CIDR check rejects this (its regex mis-escapes \d), which is why halves are checked apart.
    ['::ffff:1.2.3.4/128', '::ffff:1.2.3.4/128 is an IPv6 prefix; only IPv4 is supported'],
    ['2001:db8::1', '2001:db8::1 is an IPv6 address; only IPv4 is supported'],
    [' 2001:db8::/32\n', '2001:db8::/32 is an IPv6 prefix; only IPv4 is supported'],
  ])('refuses IPv6 %j saying only IPv4 is supported', (text, message) => {
    expect(refused(parseCanonicalCidr(text))).toBe(message);
  });

  it.each([
    [' 1.2.3.0/24', 'leading whitespace (space) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/24 ', 'trailing whitespace (space) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0 /24', 'whitespace (space) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2. 3.0/24', 'whitespace (space) is not allowed; did you mean 1.2.3.0/24?'],
    ['\t1.2.3.0/24', 'leading whitespace (tab) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/24\n', 'trailing whitespace (newline) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/24\r\n', 'trailing whitespace (carriage return) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/\n24', 'whitespace (newline) is not allowed; did you mean 1.2.3.0/24?'],
    ['\u00a01.2.3.0/24', 'leading whitespace (U+00A0) is not allowed; did you mean 1.2.3.0/24?'],
    ['1.2.3.0/24\u2028', 'trailing whitespace (U+2028) is not allowed; did you mean 1.2.3.0/24?'],
    ['\ufeff1.2.3.0/24', 'leading whitespace (U+FEFF) is not allowed; did you mean 1.2.3.0/24?'],
    [' 185.10.20.7/24 ', 'leading whitespace (space) is not allowed; did you mean 185.10.20.0/24?'],
    [' 010.0.0.0/08', 'leading whitespace (space) is not allowed; did you mean 10.0.0.0/8?'],
    [' 1.2.3/24', 'leading whitespace (space) is not allowed'],
    ['   ', 'leading whitespace (space) is not allowed'],
  ])('refuses whitespace in %j', (text, message) => {
    expect(refused(parseCanonicalCidr(text))).toBe(message);
  });

  it.each([
    ['\u0661.2.3.0/24', 'octet \u0661 uses non-ASCII digits; only 0-9 are allowed'],
    ['\uff11.2.3.0/24', 'octet \uff11 uses non-ASCII digits; only 0-9 are allowed'],
    ['1.2.3.0/\u0662\u0664', '/\u0662\u0664 is not a valid IPv4 prefix length (0-32)'],
    ['1.2.3.\u200b0/24', 'octet \\u{200b}0 is not a decimal number 0-255'],
    ['1.2.3.\u00000/24', 'octet \\u{0}0 is not a decimal number 0-255'],
    ['\u001b[31m1.0.0.0/8', 'octet \\u{1b}[31m1 is not a decimal number 0-255'],
  ])('refuses non-ASCII or control characters in %j without echoing them raw', (text, message) => {
    expect(refused(parseCanonicalCidr(text))).toBe(message);
  });

  it.each([
    ['empty string', '', `must not be empty; expected an IPv4 prefix in CIDR notation, like 185.10.20.0/24`],
    ['number', 3104445440, `${EXPECTED_PREFIX}; got a number`],
    ['null', null, `${EXPECTED_PREFIX}; got null`],
    ['undefined', undefined, `${EXPECTED_PREFIX}; got nothing`],
    ['object', { network: 0, length: 0 }, `${EXPECTED_PREFIX}; got an object`],
    ['array', ['1.2.3.0/24'], `${EXPECTED_PREFIX}; got an array`],
    ['boolean', true, `${EXPECTED_PREFIX}; got a boolean`],
    ['String object', new String('1.2.3.0/24'), `${EXPECTED_PREFIX}; got an object`],
  ])('refuses %s', (_label, input, message) => {
    expect(refused(parseCanonicalCidr(input))).toBe(message);
  });

  it.each([
    ['65 characters', `${'1'.repeat(62)}/24`],
    ['10k characters', '9'.repeat(10_000)],
    ['1 MiB with a valid prefix at the start', `1.2.3.0/24${' '.repeat(1 << 20)}`],
  ])('refuses a very long string (%s) without echoing it', (_label, text) => {
    const message = refused(parseCanonicalCidr(text));
    expect(message).toBe(`is too long (${text.length} characters); ${EXPECTED_PREFIX}`);
  });

  it('escapes control characters it echoes and caps the echo at 64 characters', () => {
    const plain = `1.2.3.0/${'x'.repeat(56)}`;
    expect(refused(parseCanonicalCidr(plain))).toBe(`/${'x'.repeat(56)} is not a valid IPv4 prefix length (0-32)`);
    const control = `1.2.3.0/${'\u0000'.repeat(56)}`;
    const message = refused(parseCanonicalCidr(control));
    expect(message).not.toContain('\u0000');
    expect(message).toBe(`/${'\\u{0}'.repeat(56).slice(0, 64)}… is not a valid IPv4 prefix length (0-32)`);
  });

  it('accepts exactly the canonical strings: whatever it accepts formats back to the identical text', () => {
    const octetish = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '010', '0x1', '', ' 1', '1 ', '\u0661', '-0', '+1'),
    );
    const candidate = fc.oneof(
      fc
        .tuple(octetish, octetish, octetish, octetish, fc.oneof(octetish, fc.constant('24')))
        .map(([a, b, c, d, n]) => `${a}.${b}.${c}.${d}/${n}`),
      fc.string({ maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 24 }),
    );
    fc.assert(
      fc.property(candidate, (text) => {
        const result = parseCanonicalCidr(text);
        if (result.ok) {
          expect(formatCidr(result.value)).toBe(text);
        } else {
          expect(result.message.length).toBeGreaterThan(0);
          expect(result.message.length).toBeLessThan(200);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips random canonical prefixes, agreeing with a BigInt oracle and with ip-num', () => {
    fc.assert(
      fc.property(uint32, prefixLength, (address, length) => {
        const network = oracleNetwork(address, length);
        const text = `${oracleFormatAddress(network)}/${length}`;
        const parsed = accepted(parseCanonicalCidr(text));
        expect(parsed).toEqual({ network, length });
        expect(formatCidr(parsed)).toBe(text);
        const range = IPv4CidrRange.fromCidr(text);
        expect(range.getFirst().getValue()).toBe(BigInt(parsed.network));
        expect(range.getLast().getValue()).toBe(BigInt(lastAddress(parsed)));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses random host-bit-set inputs with a suggestion that parses and contains the address', () => {
    const hostBitsSet = fc
      .tuple(uint32, fc.integer({ min: 0, max: 31 }))
      .filter(([address, length]) => oracleNetwork(address, length) !== address);
    fc.assert(
      fc.property(hostBitsSet, ([address, length]) => {
        const text = `${oracleFormatAddress(address)}/${length}`;
        const message = refused(parseCanonicalCidr(text));
        const match = /^(\S+) has host bits set; did you mean (\S+)\?$/.exec(message);
        if (!match) throw new Error(`unexpected message: ${message}`);
        expect(match[1]).toBe(text);
        const suggested = accepted(parseCanonicalCidr(match[2]));
        expect(suggested.length).toBe(length);
        expect(suggested.network).toBeLessThanOrEqual(address);
        expect(oracleLast(suggested)).toBeGreaterThanOrEqual(address);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a random canonical prefix with a leading zero inserted, suggesting the original', () => {
    fc.assert(
      fc.property(uint32, prefixLength, fc.integer({ min: 0, max: 4 }), (address, length, where) => {
        const network = oracleNetwork(address, length);
        const parts = [...oracleFormatAddress(network).split('.'), String(length)];
        const original = `${parts.slice(0, 4).join('.')}/${parts[4]}`;
        parts[where] = `0${parts[where]}`;
        const message = refused(parseCanonicalCidr(`${parts.slice(0, 4).join('.')}/${parts[4]}`));
        expect(message).toContain('has a leading zero');
        expect(message.endsWith(`; did you mean ${original}?`)).toBe(true);
      }),
    );
  });
});

describe('parseAddress', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 4294967295],
    ['185.10.20.1', 3104445441],
    ['128.0.0.0', 2147483648],
  ])('accepts %s', (text, value) => {
    expect(accepted(parseAddress(text))).toBe(value);
  });

  it.each([
    ['01.2.3.4', 'octet 01 has a leading zero; did you mean 1.2.3.4?'],
    ['1.2.3.4 ', 'trailing whitespace (space) is not allowed; did you mean 1.2.3.4?'],
    ['1.2.3.0/24', '1.2.3.0/24 is a prefix, not a single address; must be an IPv4 address, like 185.10.20.1'],
    ['1.2.3.4/24', 'must be an IPv4 address, like 185.10.20.1'],
    ['1.2.3', '1.2.3 has 3 octets; an IPv4 address has 4'],
    ['256.1.1.1', 'octet 256 is greater than 255'],
    ['2001:db8::1', '2001:db8::1 is an IPv6 address; only IPv4 is supported'],
    ['', 'must not be empty; expected an IPv4 address, like 185.10.20.1'],
  ])('refuses %j', (text, message) => {
    expect(refused(parseAddress(text))).toBe(message);
  });

  it('refuses non-strings', () => {
    expect(refused(parseAddress(16909060))).toBe('must be an IPv4 address, like 185.10.20.1; got a number');
  });

  it('round-trips random addresses against the oracle formatter', () => {
    fc.assert(
      fc.property(uint32, (address) => {
        const text = oracleFormatAddress(address);
        expect(formatAddress(address)).toBe(text);
        expect(accepted(parseAddress(text))).toBe(address);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseAddressOrPrefix', () => {
  it.each([
    ['185.10.20.1', { network: 3104445441, length: 32 }],
    ['185.10.20.0/24', { network: 3104445440, length: 24 }],
    ['0.0.0.0/0', { network: 0, length: 0 }],
  ])('accepts %s', (text, value) => {
    expect(accepted(parseAddressOrPrefix(text))).toEqual(value);
  });

  it.each([
    ['185.10.20.7/24', '185.10.20.7/24 has host bits set; did you mean 185.10.20.0/24?'],
    ['1.2.3.04', 'octet 04 has a leading zero; did you mean 1.2.3.4?'],
    ['1.2.3.04/32', 'octet 04 has a leading zero; did you mean 1.2.3.4/32?'],
    ['hello', 'must be an IPv4 address or prefix in CIDR notation, like 185.10.20.1 or 185.10.20.0/24'],
    [null, 'must be an IPv4 address or prefix in CIDR notation, like 185.10.20.1 or 185.10.20.0/24; got null'],
  ])('refuses %j', (input, message) => {
    expect(refused(parseAddressOrPrefix(input))).toBe(message);
  });
});

describe('formatting and arithmetic', () => {
  it.each([-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('formatAddress refuses %p', (n) => {
    expect(() => formatAddress(n)).toThrow(RangeError);
  });

  it.each([
    [{ network: 1, length: 24 }],
    [{ network: 0, length: 33 }],
    [{ network: 0, length: -1 }],
    [{ network: 2 ** 32, length: 32 }],
  ])('formatCidr refuses invalid %j', (c) => {
    expect(() => formatCidr(c)).toThrow(RangeError);
  });

  it.each([
    [0, 4294967296],
    [1, 2147483648],
    [8, 16777216],
    [24, 256],
    [31, 2],
    [32, 1],
  ])('addressCount(%i) = %i', (length, count) => {
    expect(addressCount(length)).toBe(count);
  });

  it.each([
    ['0.0.0.0/0', 4294967295],
    ['255.255.255.255/32', 4294967295],
    ['128.0.0.0/1', 4294967295],
    ['185.10.20.0/24', 3104445695],
  ])('lastAddress(%s) = %i', (text, last) => {
    expect(lastAddress(accepted(parseCanonicalCidr(text)))).toBe(last);
  });

  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true, true],
    ['10.1.0.0/16', '10.0.0.0/8', false, true],
    ['10.0.0.0/8', '10.0.0.0/8', true, true],
    ['10.0.0.0/8', '11.0.0.0/8', false, false],
    ['0.0.0.0/0', '255.255.255.255/32', true, true],
    ['255.255.255.254/31', '255.255.255.255/32', true, true],
    ['192.168.0.0/24', '192.168.1.0/24', false, false],
  ])('contains(%s, %s) = %p, overlaps = %p', (a, b, isInside, doOverlap) => {
    const outer = accepted(parseCanonicalCidr(a));
    const inner = accepted(parseCanonicalCidr(b));
    expect(contains(outer, inner)).toBe(isInside);
    expect(overlaps(outer, inner)).toBe(doOverlap);
    expect(overlaps(inner, outer)).toBe(doOverlap);
  });

  it('compareCidrs orders by address, then the larger block first', () => {
    const sorted = ['10.0.0.128/25', '10.0.0.0/32', '9.0.0.0/8', '10.0.0.0/24'].map((t) =>
      accepted(parseCanonicalCidr(t)),
    );
    sorted.sort(compareCidrs);
    expect(sorted.map(formatCidr)).toEqual(['9.0.0.0/8', '10.0.0.0/24', '10.0.0.0/32', '10.0.0.128/25']);
  });

  it('contains and overlaps agree with a BigInt interval oracle', () => {
    const cidr = fc
      .tuple(uint32, prefixLength)
      .map(([address, length]): Cidr => ({ network: oracleNetwork(address, length), length }));
    // Related pairs (a prefix of the same address at another length) make containment common.
    const pair = fc.oneof(
      fc.tuple(cidr, cidr),
      fc.tuple(uint32, prefixLength, prefixLength).map(([address, l1, l2]): [Cidr, Cidr] => [
        { network: oracleNetwork(address, l1), length: l1 },
        { network: oracleNetwork(address, l2), length: l2 },
      ]),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const [aStart, aEnd, bStart, bEnd] = [a.network, oracleLast(a), b.network, oracleLast(b)].map(BigInt);
        expect(contains(a, b)).toBe(aStart <= bStart && bEnd <= aEnd);
        expect(overlaps(a, b)).toBe(!(aEnd < bStart || bEnd < aStart));
      }),
      { numRuns: 2000 },
    );
  });
});
