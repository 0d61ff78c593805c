import fc from 'fast-check';
import { Pool, PoolClient } from 'pg';
import { AllocationsRepository } from '../../src/allocations/allocations.repository';
import { asQueryable } from '../support/queryable';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * The buddy free-space index (free_blocks, allocation_place and the free_blocks_* functions)
 * against a brute-force oracle.
 *
 * Every step calls AllocationsRepository exactly as AllocationsService does, one transaction each:
 * - allocate: place (allocation_place: locks the lease, reclaims expired holds, takes or claims),
 *   then insert; when nothing is placed the service throws, so the transaction rolls back;
 * - release: release (allocation_release: under the lease lock, marks the row released and gives
 *   the block back, or, with a hold, keeps it occupied until hold_until; expired holds are set in
 *   the past here, to stand for time passing; the next successful placement reclaims them).
 * The oracle is a 256-entry bitmap of the /24 lease kept by the test alone; after every step the
 * database must agree with it exactly.
 *
 * Policies, defined on the bitmap (a block is "wholly free" when none of its addresses is taken):
 * - a *maximal free block* is a wholly free aligned block inside the lease whose parent block is
 *   not wholly free (or that is the lease itself);
 * - best-fit for /n takes the maximal free block of length ≤ n with the greatest length (the
 *   smallest block that fits), lowest address on ties, and returns its lowest /n;
 * - first-fit for /n returns the lowest-addressed aligned /n that is wholly free;
 * - both answer 'full' exactly when no aligned /n is wholly free;
 * - an explicit claim is 'placed' exactly when the block is wholly free, else 'taken'; a prefix not
 *   inside the lease is 'outside'.
 */

const LEASE_LENGTH = 24;
const SIZE = 1 << (32 - LEASE_LENGTH);

type Op =
  | { kind: 'next'; length: number; firstFit: boolean }
  | { kind: 'explicit'; length: number; slot: number }
  | { kind: 'outside'; length: number; slot: number }
  | { kind: 'release'; pick: number; hold: 'none' | 'expired' | 'future' };

interface Block {
  offset: number;
  length: number;
}

interface Live extends Block {
  id: string;
}

interface Held extends Live {
  expired: boolean;
}

const blockSize = (length: number) => 2 ** (32 - length);

class Oracle {
  readonly taken = new Array<boolean>(SIZE).fill(false);
  readonly live: Live[] = [];
  readonly held: Held[] = [];

  whollyFree(b: Block): boolean {
    for (let i = b.offset; i < b.offset + blockSize(b.length); i++) if (this.taken[i]) return false;
    return true;
  }

  mark(b: Block, value: boolean): void {
    for (let i = b.offset; i < b.offset + blockSize(b.length); i++) this.taken[i] = value;
  }

  maximalFreeBlocks(): Block[] {
    const blocks: Block[] = [];
    for (let length = LEASE_LENGTH; length <= 32; length++) {
      for (let offset = 0; offset < SIZE; offset += blockSize(length)) {
        const b = { offset, length };
        if (!this.whollyFree(b)) continue;
        const parent = { offset: offset - (offset % blockSize(length - 1)), length: length - 1 };
        if (length === LEASE_LENGTH || !this.whollyFree(parent)) blocks.push(b);
      }
    }
    return blocks.sort((a, b) => a.offset - b.offset);
  }

  next(length: number, firstFit: boolean): Block | null {
    if (length < LEASE_LENGTH) return null;
    if (firstFit) {
      for (let offset = 0; offset < SIZE; offset += blockSize(length)) {
        if (this.whollyFree({ offset, length })) return { offset, length };
      }
      return null;
    }
    const fits = this.maximalFreeBlocks().filter((b) => b.length <= length);
    if (fits.length === 0) return null;
    const best = fits.reduce((a, b) => (b.length > a.length || (b.length === a.length && b.offset < a.offset) ? b : a));
    return { offset: best.offset, length };
  }

  /** What a placement sees after reclaiming expired holds, without committing to it. */
  afterReclaim(): Oracle {
    const copy = new Oracle();
    copy.taken.splice(0, SIZE, ...this.taken);
    for (const h of this.held) if (h.expired) copy.mark(h, false);
    return copy;
  }

  /** The placement committed: expired holds are free again and no longer occupied. */
  commitReclaim(): void {
    for (const h of this.held.filter((x) => x.expired)) {
      this.mark(h, false);
      this.held.splice(this.held.indexOf(h), 1);
    }
  }
}

let leaseCounter = 0;
/** What the random runs actually exercised, so a vacuous run fails instead of passing. */
const seen = {
  placed: 0,
  full: 0,
  firstFit: 0,
  claimed: 0,
  taken: 0,
  outside: 0,
  released: 0,
  reclaimed: 0,
  heldBlocksPlacement: 0,
  wholeLeaseFree: 0,
};

describe('free_blocks buddy index (property, against a brute-force oracle)', () => {
  let url: string;
  let pool: Pool;
  let lessorId: string;
  let regionId: string;
  let providerId: string;

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC' });
    lessorId = (await pool.query(`INSERT INTO lessors (name, rir) VALUES ('Property lessor', 'RIPE') RETURNING id`))
      .rows[0].id;
    regionId = (
      await pool.query(
        `INSERT INTO regions (code, name, country_code) VALUES ('prop-1', 'Property', 'IE') RETURNING id`,
      )
    ).rows[0].id;
    providerId = (await pool.query(`INSERT INTO providers (code, name) VALUES ('prop', 'Property') RETURNING id`))
      .rows[0].id;
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  /** A fresh /24 lease per run: 11.x.y.0/24 with odd y, never reused, so 11.x.(y+1).0/24 stays unleased. */
  async function newLease(): Promise<{ id: string; base: number }> {
    const n = ++leaseCounter;
    const base = ((11 << 24) | ((n >> 7) << 16) | (((n & 0x7f) * 2 + 1) << 8)) >>> 0;
    const { rows } = await pool.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency) VALUES ($1::cidr, $2, '2025-01-01', 0.5, 'USD') RETURNING id`,
      [`${dotted(base)}/24`, lessorId],
    );
    return { id: rows[0].id, base };
  }

  /** One transaction; fn answers whether to COMMIT (the service rolls back whenever it throws). */
  async function transaction(fn: (c: PoolClient) => Promise<boolean>): Promise<void> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query((await fn(c)) ? 'COMMIT' : 'ROLLBACK');
    } catch (error) {
      await c.query('ROLLBACK');
      throw error;
    } finally {
      c.release();
    }
  }

  const allocations = new AllocationsRepository();

  const place = (c: PoolClient, leaseId: string, request: { length: number; firstFit: boolean } | { prefix: string }) =>
    allocations.place(asQueryable(c), leaseId, request);

  const insertAllocation = async (
    c: PoolClient,
    leaseId: string,
    prefix: string,
    requested: number | null,
    strategy: string,
  ) =>
    (
      await allocations.insert(asQueryable(c), {
        lease_id: leaseId,
        prefix,
        region_id: regionId,
        provider_id: providerId,
        requested_prefix_length: requested,
        strategy,
      })
    ).id;

  async function step(lease: { id: string; base: number }, oracle: Oracle, op: Op): Promise<void> {
    const reclaimable = oracle.held.filter((h) => h.expired).length;
    if (op.kind === 'next') {
      const expected = oracle.afterReclaim().next(op.length, op.firstFit);
      let id: string | undefined;
      await transaction(async (c) => {
        const got = await place(c, lease.id, { length: op.length, firstFit: op.firstFit });
        expect({ op, outcome: got.outcome, placed: got.placed }).toEqual({
          op,
          outcome: expected ? 'placed' : 'full',
          placed: expected && format(lease.base, expected),
        });
        if (!got.placed) return false;
        id = await insertAllocation(c, lease.id, got.placed, op.length, op.firstFit ? 'first-fit' : 'best-fit');
        return true;
      });
      seen[expected ? 'placed' : 'full']++;
      if (expected && op.firstFit) seen.firstFit++;
      if (expected && id) {
        if (reclaimable && !oracle.whollyFree(expected)) seen.heldBlocksPlacement++;
        oracle.commitReclaim();
        oracle.mark(expected, true);
        oracle.live.push({ ...expected, id });
      }
    } else if (op.kind === 'explicit' || op.kind === 'outside') {
      const inside = { offset: (op.slot % 2 ** (op.length - LEASE_LENGTH)) * blockSize(op.length), length: op.length };
      // Outside: the same offset in the next /24 (never leased), or the /23 that holds the lease.
      const prefix =
        op.kind === 'explicit'
          ? format(lease.base, inside)
          : op.length > LEASE_LENGTH
            ? format(lease.base + SIZE, inside)
            : `${dotted(lease.base & ~(2 * SIZE - 1))}/23`;
      const expected =
        op.kind === 'outside' ? 'outside' : oracle.afterReclaim().whollyFree(inside) ? 'placed' : 'taken';
      let id: string | undefined;
      await transaction(async (c) => {
        const got = await place(c, lease.id, { prefix });
        expect({ prefix, outcome: got.outcome, leasePrefix: got.leasePrefix }).toEqual({
          prefix,
          outcome: expected,
          leasePrefix: `${dotted(lease.base)}/24`,
        });
        if (got.outcome !== 'placed') return false;
        expect(got.placed).toBe(prefix);
        id = await insertAllocation(c, lease.id, prefix, null, 'explicit');
        return true;
      });
      seen[expected === 'placed' ? 'claimed' : expected]++;
      if (id) {
        if (reclaimable && !oracle.whollyFree(inside)) seen.heldBlocksPlacement++;
        oracle.commitReclaim();
        oracle.mark(inside, true);
        oracle.live.push({ ...inside, id });
      }
    } else {
      if (oracle.live.length === 0) return;
      const [victim] = oracle.live.splice(op.pick % oracle.live.length, 1);
      await transaction(async (c) => {
        // An expired hold is one that ended a day ago: it stands for time passing.
        const holdDays = { none: null, expired: -1, future: 1 }[op.hold];
        const released = await allocations.release(asQueryable(c), victim.id, holdDays);
        expect({ prefix: released?.prefix, status: released?.status, occupied: released?.occupied }).toEqual({
          prefix: format(lease.base, victim),
          status: 'released',
          occupied: op.hold !== 'none',
        });
        return true;
      });
      if (op.hold === 'none') oracle.mark(victim, false);
      else oracle.held.push({ ...victim, expired: op.hold === 'expired' });
      seen.released++;
      if (oracle.live.length === 0 && oracle.held.length === 0) seen.wholeLeaseFree++;
    }
    if (reclaimable && !oracle.held.some((h) => h.expired)) seen.reclaimed++;
  }

  /** (a) free ∪ occupied == lease, disjoint, and equal to the oracle; (b) free blocks aligned and maximal. */
  async function checkInvariants(lease: { id: string; base: number }, oracle: Oracle): Promise<void> {
    const toBlock = (row: { network: string; length: number }) => ({
      offset: Number(row.network) - lease.base,
      length: row.length,
    });
    const free = (await allocations.freeBlocks(asQueryable(pool), lease.id)).map(toBlock);
    const occupied = (
      await pool.query(
        `SELECT id, status, (prefix - '0.0.0.0'::inet)::text AS network, masklen(prefix) AS length FROM allocations WHERE lease_id = $1 AND occupied ORDER BY prefix`,
        [lease.id],
      )
    ).rows.map((r) => ({ id: r.id as string, status: r.status as string, ...toBlock(r) }));

    const cover = new Array<number>(SIZE).fill(0);
    for (const b of [...free, ...occupied]) {
      expect(b.offset >= 0 && b.offset + blockSize(b.length) <= SIZE && b.length >= LEASE_LENGTH).toBe(true);
      expect(b.offset % blockSize(b.length)).toBe(0);
      for (let i = b.offset; i < b.offset + blockSize(b.length); i++) cover[i]++;
    }
    const badAddresses = cover.flatMap((count, i) => (count === 1 ? [] : [`+${i}: covered ${count}×`]));
    expect(badAddresses).toEqual([]);

    // Every address is exactly one of: taken in the oracle, or inside a free block.
    const freeAddresses = new Set(
      free.flatMap((b) => Array.from({ length: blockSize(b.length) }, (_, i) => b.offset + i)),
    );
    const disagreeing = oracle.taken.flatMap((taken, i) => (taken !== freeAddresses.has(i) ? [] : [i]));
    expect(disagreeing).toEqual([]);
    const byId = (rows: { id: string; status: string }[]) => rows.map((r) => `${r.id} ${r.status}`).sort();
    expect(byId(occupied)).toEqual(
      byId([
        ...oracle.live.map((l) => ({ id: l.id, status: 'active' })),
        ...oracle.held.map((h) => ({ id: h.id, status: 'released' })),
      ]),
    );

    for (const b of free) {
      if (b.length === LEASE_LENGTH) continue;
      const buddy = { offset: b.offset ^ blockSize(b.length), length: b.length };
      expect({ block: format(lease.base, b), buddyWhollyFree: oracle.whollyFree(buddy) }).toEqual({
        block: format(lease.base, b),
        buddyWhollyFree: false,
      });
    }
    // (a) and (b) together pin free_blocks down to the oracle's own maximal decomposition.
    expect(free.map((b) => format(lease.base, b))).toEqual(
      oracle.maximalFreeBlocks().map((b) => format(lease.base, b)),
    );
  }

  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('next' as const),
        length: fc.integer({ min: 22, max: 32 }),
        firstFit: fc.boolean(),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('explicit' as const),
        length: fc.integer({ min: 24, max: 32 }),
        slot: fc.nat({ max: 255 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('outside' as const),
        length: fc.integer({ min: 24, max: 32 }),
        slot: fc.nat({ max: 255 }),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('release' as const),
        pick: fc.nat(),
        hold: fc.constantFrom('none' as const, 'none' as const, 'expired' as const, 'future' as const),
      }),
    },
  );

  it('after every allocate-next, allocate-explicit and release, the free index matches the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), async (ops) => {
        const lease = await newLease();
        const oracle = new Oracle();
        await checkInvariants(lease, oracle);
        for (const o of ops) {
          await step(lease, oracle, o);
          await checkInvariants(lease, oracle);
        }
      }),
      { numRuns: 40, interruptAfterTimeLimit: 45_000 },
    );
    for (const [outcome, count] of Object.entries(seen))
      expect({ outcome, exercised: count > 0 }).toEqual({ outcome, exercised: true });
  }, 60_000);

  it('the oracle itself: a fragmented lease gives the documented best-fit and first-fit answers', () => {
    // Mirrors the API example: /26 .0 free, /27 .64 taken, /27 .96 free, /25 .128 free.
    const oracle = new Oracle();
    oracle.mark({ offset: 64, length: 27 }, true);
    expect(oracle.maximalFreeBlocks()).toEqual([
      { offset: 0, length: 26 },
      { offset: 96, length: 27 },
      { offset: 128, length: 25 },
    ]);
    expect(oracle.next(27, false)).toEqual({ offset: 96, length: 27 });
    expect(oracle.next(27, true)).toEqual({ offset: 0, length: 27 });
    expect(oracle.next(25, false)).toEqual({ offset: 128, length: 25 });
    expect(oracle.next(24, false)).toBeNull();
    expect(oracle.next(23, true)).toBeNull();
  });
});

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

function format(base: number, b: Block): string {
  return `${dotted(base + b.offset)}/${b.length}`;
}
