import fc from 'fast-check';
import {
  Cidr,
  cidrFromString,
  formatCidr,
  freeBlocks,
  freeBlocksOfLength,
  pickBlock,
  splitRangeIntoCidrs,
} from '../../../src/ip';
import { Bitmap, oracleLast, oracleNetwork } from './oracle';

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

describe('splitRangeIntoCidrs', () => {
  it.each([
    [0, MAX, ['0.0.0.0/0']],
    [MAX, MAX, ['255.255.255.255/32']],
    [0, 0, ['0.0.0.0/32']],
    [1, 6, ['0.0.0.1/32', '0.0.0.2/31', '0.0.0.4/31', '0.0.0.6/32']],
    [167772160, 167772415, ['10.0.0.0/24']],
    [
      167772161,
      167772414,
      [
        '10.0.0.1/32',
        '10.0.0.2/31',
        '10.0.0.4/30',
        '10.0.0.8/29',
        '10.0.0.16/28',
        '10.0.0.32/27',
        '10.0.0.64/26',
        '10.0.0.128/26',
        '10.0.0.192/27',
        '10.0.0.224/28',
        '10.0.0.240/29',
        '10.0.0.248/30',
        '10.0.0.252/31',
        '10.0.0.254/32',
      ],
    ],
    [
      1,
      MAX,
      [
        '0.0.0.1/32',
        '0.0.0.2/31',
        '0.0.0.4/30',
        '0.0.0.8/29',
        '0.0.0.16/28',
        '0.0.0.32/27',
        '0.0.0.64/26',
        '0.0.0.128/25',
        '0.0.1.0/24',
        '0.0.2.0/23',
        '0.0.4.0/22',
        '0.0.8.0/21',
        '0.0.16.0/20',
        '0.0.32.0/19',
        '0.0.64.0/18',
        '0.0.128.0/17',
        '0.1.0.0/16',
        '0.2.0.0/15',
        '0.4.0.0/14',
        '0.8.0.0/13',
        '0.16.0.0/12',
        '0.32.0.0/11',
        '0.64.0.0/10',
        '0.128.0.0/9',
        '1.0.0.0/8',
        '2.0.0.0/7',
        '4.0.0.0/6',
        '8.0.0.0/5',
        '16.0.0.0/4',
        '32.0.0.0/3',
        '64.0.0.0/2',
        '128.0.0.0/1',
      ],
    ],
  ])('splits [%i, %i]', (start, end, expected) => {
    expect(texts(splitRangeIntoCidrs(start, end))).toEqual(expected);
  });

  it('returns nothing for an empty range', () => {
    expect(splitRangeIntoCidrs(10, 9)).toEqual([]);
  });

  it.each([
    [-1, 5],
    [0, 2 ** 32],
    [0.5, 3],
  ])('refuses out-of-range bounds [%p, %p]', (start, end) => {
    expect(() => splitRangeIntoCidrs(start, end)).toThrow(RangeError);
  });

  it('covers any range exactly, ascending, aligned, with no mergeable buddies (hence minimal)', () => {
    const range = fc.tuple(uint32, uint32).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
    fc.assert(
      fc.property(range, ([start, end]) => {
        const blocks = splitRangeIntoCidrs(start, end);
        // Problems are collected and asserted once: per-block expect() calls dominate the runtime.
        const problems: string[] = [];
        if (blocks[0].network !== start) problems.push('does not start at start');
        if (oracleLast(blocks[blocks.length - 1]) !== end) problems.push('does not end at end');
        for (const [i, block] of blocks.entries()) {
          if (oracleNetwork(block.network, block.length) !== block.network) problems.push(`unaligned ${i}`);
          if (i === 0) continue;
          const previous = blocks[i - 1];
          if (BigInt(block.network) !== BigInt(oracleLast(previous)) + 1n) problems.push(`gap or overlap before ${i}`);
          const buddies =
            previous.length === block.length &&
            oracleNetwork(previous.network, block.length - 1) === oracleNetwork(block.network, block.length - 1);
          if (buddies) problems.push(`mergeable buddies at ${i}`);
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('freeBlocks', () => {
  it.each([
    ['10.0.0.0/24', [], ['10.0.0.0/24']],
    ['10.0.0.0/24', ['10.0.0.0/24'], []],
    ['10.0.0.0/24', ['10.0.0.64/26'], ['10.0.0.0/26', '10.0.0.128/25']],
    [
      '10.0.0.0/24',
      ['10.0.0.128/25', '10.0.0.0/32'],
      ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.32/27', '10.0.0.64/26'],
    ],
    [
      '10.0.0.0/24',
      ['10.0.0.200/29', '10.0.0.16/28'],
      [
        '10.0.0.0/28',
        '10.0.0.32/27',
        '10.0.0.64/26',
        '10.0.0.128/26',
        '10.0.0.192/29',
        '10.0.0.208/28',
        '10.0.0.224/27',
      ],
    ],
    ['0.0.0.0/0', ['128.0.0.0/1'], ['0.0.0.0/1']],
    [
      '0.0.0.0/0',
      ['255.255.255.255/32'],
      [
        '0.0.0.0/1',
        '128.0.0.0/2',
        '192.0.0.0/3',
        '224.0.0.0/4',
        '240.0.0.0/5',
        '248.0.0.0/6',
        '252.0.0.0/7',
        '254.0.0.0/8',
        '255.0.0.0/9',
        '255.128.0.0/10',
        '255.192.0.0/11',
        '255.224.0.0/12',
        '255.240.0.0/13',
        '255.248.0.0/14',
        '255.252.0.0/15',
        '255.254.0.0/16',
        '255.255.0.0/17',
        '255.255.128.0/18',
        '255.255.192.0/19',
        '255.255.224.0/20',
        '255.255.240.0/21',
        '255.255.248.0/22',
        '255.255.252.0/23',
        '255.255.254.0/24',
        '255.255.255.0/25',
        '255.255.255.128/26',
        '255.255.255.192/27',
        '255.255.255.224/28',
        '255.255.255.240/29',
        '255.255.255.248/30',
        '255.255.255.252/31',
        '255.255.255.254/32',
      ],
    ],
  ])('freeBlocks(%s, %j)', (container, used, expected) => {
    expect(texts(freeBlocks(cidrFromString(container), cidrs(used)))).toEqual(expected);
  });

  it('ignores used space outside the container and tolerates overlapping used blocks', () => {
    const container = cidrFromString('10.0.0.0/24');
    const used = cidrs(['10.0.0.0/8', '9.0.0.0/8']);
    expect(freeBlocks(container, used)).toEqual([]);
    expect(texts(freeBlocks(container, cidrs(['10.0.1.0/24', '10.0.0.0/26', '10.0.0.0/27'])))).toEqual([
      '10.0.0.64/26',
      '10.0.0.128/25',
    ]);
  });

  it('matches the bitmap oracle: free ∪ used is the container, pieces disjoint, aligned, maximal', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), ({ container, used, bitmap }, reverse) => {
        const input = reverse ? [...used].reverse() : used;
        const free = freeBlocks(container, input);

        const problems: string[] = [];
        const cover = new Int32Array(bitmap.size);
        for (const block of [...free, ...used]) {
          const label = `${block.network}/${block.length}`;
          if (oracleNetwork(block.network, block.length) !== block.network) problems.push(`unaligned ${label}`);
          if (block.network < container.network || oracleLast(block) > oracleLast(container))
            problems.push(`outside ${label}`);
          for (let a = block.network; a <= oracleLast(block); a++) cover[a - container.network] += 1;
        }
        if (!cover.every((n) => n === 1)) problems.push('free ∪ used does not cover every address exactly once');

        const keys = new Set(free.map((b) => `${b.network}/${b.length}`));
        for (const [i, block] of free.entries()) {
          const label = `${block.network}/${block.length}`;
          if (!bitmap.isFree(block)) problems.push(`not free ${label}`);
          if (i > 0 && block.network <= free[i - 1].network) problems.push(`not ascending at ${label}`);
          if (block.length === container.length) continue;
          if (bitmap.isFree(bitmap.parent(block))) problems.push(`not maximal ${label}`);
          const size = 2 ** (32 - block.length);
          const isLowerHalf = oracleNetwork(block.network, block.length - 1) === block.network;
          const buddy = isLowerHalf ? block.network + size : block.network - size;
          if (keys.has(`${buddy}/${block.length}`)) problems.push(`mergeable with its buddy ${label}`);
        }
        expect(problems).toEqual([]);
        expect(free).toEqual(bitmap.maximalFree());
      }),
      { numRuns: 400 },
    );
  });
});

describe('freeBlocksOfLength', () => {
  it.each([
    ['10.0.0.0/24', ['10.0.0.64/26'], 26, ['10.0.0.0/26', '10.0.0.128/26', '10.0.0.192/26'], 3],
    ['10.0.0.0/24', ['10.0.0.64/26'], 25, ['10.0.0.128/25'], 1],
    ['10.0.0.0/24', ['10.0.0.64/26'], 24, [], 0],
    ['10.0.0.0/24', [], 23, [], 0],
    ['10.0.0.0/24', ['10.0.0.1/32'], 31, ['10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/31'], 127],
  ])('freeBlocksOfLength(%s, %j, /%i)', (container, used, length, firstItems, total) => {
    const result = freeBlocksOfLength(cidrFromString(container), cidrs(used), length, 3);
    expect(texts(result.items)).toEqual(firstItems);
    expect(result.total).toBe(total);
  });

  it('counts exactly without enumerating huge spaces, and caps items at 1000 by default', () => {
    const result = freeBlocksOfLength(cidrFromString('0.0.0.0/0'), cidrs(['0.0.0.0/32']), 32);
    expect(result.total).toBe(2 ** 32 - 1);
    expect(result.items).toHaveLength(1000);
    expect(formatCidr(result.items[0])).toBe('0.0.0.1/32');
    expect(formatCidr(result.items[999])).toBe('0.0.3.232/32');
  });

  it('refuses an invalid length or limit', () => {
    const container = cidrFromString('10.0.0.0/24');
    expect(() => freeBlocksOfLength(container, [], 33)).toThrow(RangeError);
    expect(() => freeBlocksOfLength(container, [], 24, -1)).toThrow(RangeError);
  });

  it('matches a brute-force count of every entirely free aligned block', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 22, max: 32 }), fc.integer({ min: 0, max: 6 }), (s, length, limit) => {
        const expected = s.bitmap.freeOfLength(length);
        const all = freeBlocksOfLength(s.container, s.used, length, 1 << 20);
        expect(all.total).toBe(expected.length);
        expect(all.items).toEqual(expected);
        const capped = freeBlocksOfLength(s.container, s.used, length, limit);
        expect(capped.total).toBe(expected.length);
        expect(capped.items).toEqual(expected.slice(0, limit));
      }),
      { numRuns: 400 },
    );
  });
});

describe('pickBlock', () => {
  const free = cidrs(['10.0.0.0/26', '10.0.0.128/25', '10.0.1.0/27', '10.0.2.64/27']);

  it.each([
    ['best-fit', 27, '10.0.1.0/27'],
    ['first-fit', 27, '10.0.0.0/27'],
    ['best-fit', 26, '10.0.0.0/26'],
    ['best-fit', 25, '10.0.0.128/25'],
    ['first-fit', 25, '10.0.0.128/25'],
    ['best-fit', 32, '10.0.1.0/32'],
    ['first-fit', 32, '10.0.0.0/32'],
    ['best-fit', 24, undefined],
    ['first-fit', 24, undefined],
  ] as const)('%s for /%i picks %s', (strategy, length, expected) => {
    const picked = pickBlock(free, length, strategy);
    expect(picked && formatCidr(picked)).toBe(expected);
    const reversed = pickBlock([...free].reverse(), length, strategy);
    expect(reversed && formatCidr(reversed)).toBe(expected);
  });

  it('returns undefined for an empty free list', () => {
    expect(pickBlock([], 24, 'best-fit')).toBeUndefined();
  });

  it('agrees with a brute-force oracle over every free aligned block', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: 22, max: 32 }),
        fc.constantFrom('best-fit' as const, 'first-fit' as const),
        fc.boolean(),
        (s, length, strategy, reverse) => {
          const candidates = s.bitmap.freeOfLength(length);
          let expected: Cidr | undefined;
          if (strategy === 'first-fit') {
            expected = candidates[0];
          } else {
            for (const c of candidates) {
              if (!expected || s.bitmap.enclosingFreeSize(c) < s.bitmap.enclosingFreeSize(expected)) expected = c;
            }
          }
          const list = freeBlocks(s.container, s.used);
          expect(pickBlock(reverse ? list.reverse() : list, length, strategy)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
