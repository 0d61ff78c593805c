/**
 * Reference implementations for property tests, written differently from src/ip on purpose
 * (BigInt bit masks, per-address bitmaps, exhaustive scans) so a shared mistake is unlikely.
 * Nothing here imports the code under test.
 */

export interface Block {
  network: number;
  length: number;
}

const FULL = (1n << 32n) - 1n;

export function oracleFormatAddress(address: number): string {
  const big = BigInt(address);
  return [24n, 16n, 8n, 0n].map((shift) => ((big >> shift) & 0xffn).toString(10)).join('.');
}

export function oracleNetwork(address: number, length: number): number {
  const hostBits = BigInt(32 - length);
  const mask = (FULL >> hostBits) << hostBits;
  return Number(BigInt(address) & mask);
}

export function oracleLast(block: Block): number {
  const hostBits = BigInt(32 - block.length);
  return Number(BigInt(block.network) | ((1n << hostBits) - 1n));
}

export function oracleParseCidr(text: string): Block {
  const [address, length] = text.split('/');
  const octets = address.split('.').map((o) => BigInt(o));
  const value = octets.reduce((acc, o) => (acc << 8n) | o, 0n);
  return { network: Number(value), length: Number(length) };
}

/** A container of at most a few hundred addresses, tracked address by address. */
export class Bitmap {
  readonly size: number;
  private readonly owner: Int32Array;

  constructor(readonly container: Block) {
    this.size = 2 ** (32 - container.length);
    this.owner = new Int32Array(this.size).fill(-1);
  }

  private offset(address: number): number {
    return address - this.container.network;
  }

  isFree(block: Block): boolean {
    const start = this.offset(block.network);
    const count = 2 ** (32 - block.length);
    for (let i = start; i < start + count; i++) if (this.owner[i] !== -1) return false;
    return true;
  }

  mark(block: Block, id: number): void {
    const start = this.offset(block.network);
    for (let i = start; i < start + 2 ** (32 - block.length); i++) this.owner[i] = id;
  }

  /** Every aligned block of `length` inside the container, ascending. */
  alignedBlocks(length: number): Block[] {
    const step = 2 ** (32 - length);
    const out: Block[] = [];
    for (let off = 0; off < this.size; off += step) out.push({ network: this.container.network + off, length });
    return out;
  }

  freeOfLength(length: number): Block[] {
    if (length < this.container.length) return [];
    return this.alignedBlocks(length).filter((b) => this.isFree(b));
  }

  /** Free blocks whose parent is not entirely free (or that are the container itself). */
  maximalFree(): Block[] {
    const out: Block[] = [];
    for (let length = this.container.length; length <= 32; length++) {
      for (const block of this.freeOfLength(length)) {
        if (length === this.container.length || !this.isFree(this.parent(block))) out.push(block);
      }
    }
    return out.sort((a, b) => a.network - b.network);
  }

  parent(block: Block): Block {
    const length = block.length - 1;
    return { network: oracleNetwork(block.network, length), length };
  }

  /** Size of the largest entirely free aligned block that holds `block`. */
  enclosingFreeSize(block: Block): number {
    let current = block;
    while (current.length > this.container.length && this.isFree(this.parent(current))) current = this.parent(current);
    return 2 ** (32 - current.length);
  }
}
