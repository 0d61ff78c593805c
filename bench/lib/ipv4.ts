export function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

/**
 * A bump allocator over public unicast space from 24.0.0.0 (clear of the special-purpose
 * registry up to 100.64.0.0/10), so every lease a benchmark creates is distinct and leasable.
 */
export class AddressSpace {
  private next = 24 * 2 ** 24;
  private static readonly LIMIT = 100 * 2 ** 24;

  take(length: number): { prefix: string; network: number } {
    const size = 2 ** (32 - length);
    const network = Math.ceil(this.next / size) * size;
    if (network + size > AddressSpace.LIMIT)
      throw new Error('the benchmark ran out of address space between 24.0.0.0 and 100.0.0.0');
    this.next = network + size;
    return { prefix: `${dotted(network)}/${length}`, network };
  }
}
