import fc from 'fast-check';
import { blocksOfLength, Cidr, cidrFromString, formatCidr } from '../../../src/ip';
import { Bitmap, oracleNetwork } from './oracle';

const MAX = 2 ** 32 - 1;
const uint32 = fc.integer({ min: 0, max: MAX });

const cidrs = (texts: string[]): Cidr[] => texts.map(cidrFromString);
const texts = (blocks: Cidr[]): string[] => blocks.map(formatCidr);

interface Scenario {
  container: Cidr;
  used: Cidr[];
  bitmap: Bitmap;
}

/**
 * A small container (/24-/28) somewhere in the address space, including both ends of it, with
 * disjoint aligned used blocks placed by rejection against a per-address bitmap.
 */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    length: fc.integer({ min: 24, max: 28 }),
    base: fc.oneof(uint32, fc.constantFrom(0, MAX)),
    candidates: fc.array(fc.record({ extra: fc.integer({ min: 0, max: 8 }), slot: fc.nat() }), { maxLength: 24 }),
  })
  .map(({ length, base, candidates }) => {
    const container = { network: oracleNetwork(base, length), length };
    const bitmap = new Bitmap(container);
    const used: Cidr[] = [];
    for (const { extra, slot } of candidates) {
      const blockLength = Math.min(32, length + extra);
      const step = 2 ** (32 - blockLength);
      const block = { network: container.network + (slot % (bitmap.size / step)) * step, length: blockLength };
      if (bitmap.isFree(block)) {
        bitmap.mark(block, used.length);
        used.push(block);
      }
    }
    return { container, used, bitmap };
  });

describe('blocksOfLength (the free-space listing with ?prefixLength)', () => {
  it.each([
    // maximal free blocks of 10.0.0.0/24 with 10.0.0.64/26 taken
    [['10.0.0.0/26', '10.0.0.128/25'], 26, ['10.0.0.0/26', '10.0.0.128/26', '10.0.0.192/26'], 3],
    [['10.0.0.0/26', '10.0.0.128/25'], 25, ['10.0.0.128/25'], 1],
    [['10.0.0.0/26', '10.0.0.128/25'], 24, [], 0],
    [['10.0.0.0/24'], 23, [], 0],
    [['10.0.0.0/32', '10.0.0.2/31', '10.0.0.4/30'], 31, ['10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/31'], 3],
    [[], 24, [], 0],
  ])('blocksOfLength(%j, /%i) lists %j of %i', (free, length, firstItems, total) => {
    const result = blocksOfLength(cidrs(free), length, 3);
    expect(texts(result.items)).toEqual(firstItems);
    expect(result.total).toBe(total);
  });

  it('counts exactly without enumerating huge spaces, and stops listing at the limit', () => {
    const result = blocksOfLength(cidrs(['0.0.0.0/1', '128.0.0.0/1']), 32, 1000);
    expect(result.total).toBe(2 ** 32);
    expect(result.items).toHaveLength(1000);
    expect(formatCidr(result.items[999])).toBe('0.0.3.231/32');
  });

  it('refuses an invalid length or limit', () => {
    expect(() => blocksOfLength([], 33, 1)).toThrow(RangeError);
    expect(() => blocksOfLength([], 24, -1)).toThrow(RangeError);
  });

  it('matches a brute-force scan of every entirely free aligned block', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 22, max: 32 }), fc.integer({ min: 0, max: 6 }), (s, length, limit) => {
        const expected = s.bitmap.freeOfLength(length);
        const maximal = s.bitmap.maximalFree();
        const all = blocksOfLength(maximal, length, 1 << 20);
        expect(all.total).toBe(expected.length);
        expect(all.items).toEqual(expected);
        const capped = blocksOfLength(maximal, length, limit);
        expect(capped.total).toBe(expected.length);
        expect(capped.items).toEqual(expected.slice(0, limit));
      }),
      { numRuns: 400 },
    );
  });
});
