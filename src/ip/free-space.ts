import { Cidr, IPV4_ADDRESS_COUNT, addressCount, assertAddress, assertCidr, assertLength, lastAddress } from './cidr';

export type AllocationStrategy = 'best-fit' | 'first-fit';

export const DEFAULT_FREE_BLOCK_LIMIT = 1000;

/** Minimal cover of [start, endInclusive] by aligned CIDR blocks, ascending. */
export function splitRangeIntoCidrs(start: number, endInclusive: number): Cidr[] {
  assertAddress(start, 'start');
  assertAddress(endInclusive, 'endInclusive');
  const out: Cidr[] = [];
  let cursor = start;
  while (cursor <= endInclusive) {
    const remaining = endInclusive - cursor + 1;
    let size = IPV4_ADDRESS_COUNT;
    let length = 0;
    while (cursor % size !== 0 || size > remaining) {
      size /= 2;
      length += 1;
    }
    out.push({ network: cursor, length });
    cursor += size;
  }
  return out;
}

/**
 * Maximal aligned free blocks of `container` (ascending). Parts of `used` outside the container are
 * ignored and overlapping `used` entries are tolerated, so a stale or duplicated row cannot
 * produce phantom free space.
 */
export function freeBlocks(container: Cidr, used: readonly Cidr[]): Cidr[] {
  assertCidr(container, 'container');
  const first = container.network;
  const last = lastAddress(container);
  const busy = used
    .map((u) => {
      assertCidr(u, 'used block');
      return { start: Math.max(u.network, first), end: Math.min(lastAddress(u), last) };
    })
    .filter((r) => r.start <= r.end)
    .sort((a, b) => a.start - b.start);

  const out: Cidr[] = [];
  let cursor = first;
  for (const range of busy) {
    if (range.start > cursor) out.push(...splitRangeIntoCidrs(cursor, range.start - 1));
    cursor = Math.max(cursor, range.end + 1);
  }
  if (cursor <= last) out.push(...splitRangeIntoCidrs(cursor, last));
  return out;
}

/**
 * Every aligned block of exactly `length` that is entirely free. Each lies inside exactly one
 * maximal free block, so counting per maximal block is exact without enumerating.
 */
export function freeBlocksOfLength(
  container: Cidr,
  used: readonly Cidr[],
  length: number,
  limit: number = DEFAULT_FREE_BLOCK_LIMIT,
): { items: Cidr[]; total: number } {
  assertLength(length);
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  const items: Cidr[] = [];
  let total = 0;
  if (length < container.length) {
    assertCidr(container, 'container');
    return { items, total };
  }
  const size = addressCount(length);
  for (const block of freeBlocks(container, used)) {
    if (block.length > length) continue;
    const count = addressCount(block.length) / size;
    total += count;
    for (let i = 0; i < count && items.length < limit; i++) {
      items.push({ network: block.network + i * size, length });
    }
  }
  return { items, total };
}

/**
 * best-fit: the smallest free block that can hold `length`, lowest address on ties, so large blocks
 * stay whole for later large requests. first-fit: the lowest-address block that can hold it.
 * Either way the result is the first `length` sub-block at the chosen block's start.
 */
export function pickBlock(free: readonly Cidr[], length: number, strategy: AllocationStrategy): Cidr | undefined {
  assertLength(length);
  let chosen: Cidr | undefined;
  for (const block of free) {
    if (block.length > length) continue;
    if (!chosen || better(block, chosen, strategy)) chosen = block;
  }
  return chosen && { network: chosen.network, length };
}

function better(candidate: Cidr, current: Cidr, strategy: AllocationStrategy): boolean {
  if (strategy === 'best-fit' && candidate.length !== current.length) return candidate.length > current.length;
  return candidate.network < current.network;
}
