import fc from 'fast-check';
import { checkOriginAsn, parseAsnText } from '../../../src/ip';

/** The contract's words: 1–4294967295 except 23456, 64496–64511, 65535, 65536–65551, 4294967295. */
function oracleAccepts(asn: number): boolean {
  if (asn < 1 || asn > 4294967295) return false;
  if (asn === 23456 || asn === 65535 || asn === 4294967295) return false;
  if (asn >= 64496 && asn <= 64511) return false;
  if (asn >= 65536 && asn <= 65551) return false;
  return true;
}

describe('origin ASN rule', () => {
  it.each([
    [0, false],
    [1, true],
    [13335, true],
    [23455, true],
    [23456, false],
    [64495, true],
    [64496, false],
    [64511, false],
    [64512, true],
    [65534, true],
    [65535, false],
    [65536, false],
    [65551, false],
    [65552, true],
    [4294967294, true],
    [4294967295, false],
    [4294967296, false],
    [-1, false],
  ])('%d -> %p', (asn, ok) => {
    expect(checkOriginAsn(asn).ok).toBe(ok);
  });

  it('agrees with the contract everywhere, dense near the reserved edges', () => {
    const edges = [0, 23456, 64496, 64511, 65535, 65536, 65551, 4294967295];
    const near = fc
      .tuple(fc.constantFrom(...edges), fc.integer({ min: -3, max: 3 }))
      .map(([edge, delta]) => edge + delta);
    fc.assert(
      fc.property(fc.oneof(near, fc.integer({ min: -10, max: 2 ** 32 + 10 })), (asn) => {
        expect(checkOriginAsn(asn).ok).toBe(oracleAccepts(asn));
      }),
    );
  });

  it('refuses non-integers', () => {
    for (const value of ['16509', 1.5, null, NaN, Infinity]) expect(checkOriginAsn(value).ok).toBe(false);
  });

  it.each([
    ['AS13335', 13335],
    ['as13335', 13335],
    ['13335', 13335],
    [' AS0 ', 0],
    ['AS4294967296', undefined],
    ['AS-1', undefined],
    ['AS 1', undefined],
    ['', undefined],
  ])('parses %p as %p', (text, asn) => {
    expect(parseAsnText(text)).toBe(asn);
  });
});
