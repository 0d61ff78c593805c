import { Cidr, addressCount, assertLength } from './cidr';

/**
 * Every aligned block of exactly `length` inside the given free blocks, ascending: the first
 * `limit` of them, and how many there are in all. `free` holds a lease's maximal free blocks
 * (the free_blocks index, ascending); each wanted block lies inside exactly one of them, so
 * counting per free block is exact without enumerating.
 */
export function blocksOfLength(free: readonly Cidr[], length: number, limit: number): { items: Cidr[]; total: number } {
  assertLength(length);
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  const items: Cidr[] = [];
  let total = 0;
  const size = addressCount(length);
  for (const block of free) {
    if (block.length > length) continue;
    const count = addressCount(block.length) / size;
    total += count;
    for (let i = 0; i < count && items.length < limit; i++) items.push({ network: block.network + i * size, length });
  }
  return { items, total };
}
