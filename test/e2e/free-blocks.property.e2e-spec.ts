import fc from 'fast-check';
import { Pool, PoolClient } from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * The buddy free-space index (free_blocks and its plpgsql functions) against a brute-force oracle.
 *
 * Every step runs exactly as AllocationsService does: one transaction that locks the lease row
 * FOR NO KEY UPDATE, then free_blocks_take / free_blocks_claim, then the allocations insert (or,
 * to release, the status update and free_blocks_release). The oracle is a 256-entry bitmap of the
 * /24 lease, kept by the test alone; after every step the database must agree with it.
 *
 * Policies, defined on the bitmap (a block is "wholly free" when none of its addresses is taken):
 * - a *maximal free block* is a wholly free aligned block inside the lease whose parent block is
 *   not wholly free (or that is the lease itself);
 * - best-fit for /n takes the maximal free block of length ≤ n with the greatest length (the
 *   smallest block that fits), lowest address on ties, and returns its lowest /n;
 * - first-fit for /n returns the lowest-addressed aligned /n that is wholly free;
 * - both return NULL exactly when no aligned /n is wholly free.
 */

const LEASE_LENGTH = 24;
const SIZE = 1 << (32 - LEASE_LENGTH);

type Op =
  | { kind: 'next'; length: number; firstFit: boolean }
  | { kind: 'explicit'; length: number; slot: number }
  | { kind: 'release'; pick: number };

interface Block {
  offset: number;
  length: number;
}

interface Live extends Block {
  id: string;
}

const blockSize = (length: number) => 2 ** (32 - length);

class Oracle {
  readonly taken = new Array<boolean>(SIZE).fill(false);
  readonly live: Live[] = [];

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
}

let leaseCounter = 0;
/** What the random runs actually exercised, so a vacuous run fails instead of passing. */
const seen = { taken: 0, takeNull: 0, firstFit: 0, claimed: 0, claimRefused: 0, released: 0, wholeLeaseFree: 0 };

describe('free_blocks buddy index (property, against a brute-force oracle)', () => {
  let url: string;
  let pool: Pool;
  let lessorId: string;
  let regionId: string;
  let providerId: string;

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC' });
    lessorId = (await pool.query(`INSERT INTO lessors (name, rir) VALUES ('Property lessor', 'RIPE') RETURNING id`)).rows[0].id;
    regionId = (await pool.query(`INSERT INTO regions (code, name, country_code) VALUES ('prop-1', 'Property', 'IE') RETURNING id`)).rows[0].id;
    providerId = (await pool.query(`INSERT INTO providers (code, name) VALUES ('prop', 'Property') RETURNING id`)).rows[0].id;
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  /** A fresh /24 lease per run: 11.x.y.0/24, never reused within the file. */
  async function newLease(): Promise<{ id: string; base: number }> {
    const n = ++leaseCounter;
    const base = ((11 << 24) | ((n >> 8) << 16) | ((n & 0xff) << 8)) >>> 0;
    const { rows } = await pool.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency) VALUES ($1::cidr, $2, '2025-01-01', 0.5, 'USD') RETURNING id`,
      [`${dotted(base)}/24`, lessorId],
    );
    return { id: rows[0].id, base };
  }

  async function inLeaseTx<T>(leaseId: string, fn: (c: PoolClient) => Promise<T | undefined>): Promise<T | undefined> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const locked = await c.query(`SELECT id FROM leases WHERE id = $1 FOR NO KEY UPDATE`, [leaseId]);
      expect(locked.rowCount).toBe(1);
      const result = await fn(c);
      // The service rolls back when it finds nothing to take (it throws NO_CAPACITY / PREFIX_OVERLAP).
      await c.query(result === undefined ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      await c.query('ROLLBACK');
      throw error;
    } finally {
      c.release();
    }
  }

  const insertAllocation = (c: PoolClient, leaseId: string, prefix: string, requested: number | null, strategy: string) =>
    c
      .query(
        `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy) VALUES ($1, $2::cidr, $3, $4, $5, $6) RETURNING id`,
        [leaseId, prefix, regionId, providerId, requested, strategy],
      )
      .then((r) => r.rows[0].id as string);

  async function step(lease: { id: string; base: number }, oracle: Oracle, op: Op): Promise<void> {
    if (op.kind === 'next') {
      const expected = oracle.next(op.length, op.firstFit);
      const got = await inLeaseTx(lease.id, async (c) => {
        const { rows } = await c.query(`SELECT free_blocks_take($1, $2, $3)::text AS prefix`, [lease.id, op.length, op.firstFit]);
        const prefix = rows[0].prefix as string | null;
        if (prefix === null) return undefined;
        return { prefix, id: await insertAllocation(c, lease.id, prefix, op.length, op.firstFit ? 'first-fit' : 'best-fit') };
      });
      expect(got?.prefix ?? null).toBe(expected && format(lease.base, expected));
      seen[got ? 'taken' : 'takeNull']++;
      if (got && op.firstFit) seen.firstFit++;
      if (got && expected) {
        oracle.mark(expected, true);
        oracle.live.push({ ...expected, id: got.id });
      }
    } else if (op.kind === 'explicit') {
      const block = { offset: (op.slot % 2 ** (op.length - LEASE_LENGTH)) * blockSize(op.length), length: op.length };
      const expectedFree = oracle.whollyFree(block);
      const id = await inLeaseTx(lease.id, async (c) => {
        const prefix = format(lease.base, block);
        const { rows } = await c.query(`SELECT free_blocks_claim($1, $2::cidr) AS claimed`, [lease.id, prefix]);
        return rows[0].claimed ? insertAllocation(c, lease.id, prefix, null, 'explicit') : undefined;
      });
      expect({ block: format(lease.base, block), claimed: id !== undefined }).toEqual({ block: format(lease.base, block), claimed: expectedFree });
      seen[id ? 'claimed' : 'claimRefused']++;
      if (id) {
        oracle.mark(block, true);
        oracle.live.push({ ...block, id });
      }
    } else {
      if (oracle.live.length === 0) return;
      const [victim] = oracle.live.splice(op.pick % oracle.live.length, 1);
      await inLeaseTx(lease.id, async (c) => {
        const updated = await c.query(
          `UPDATE allocations SET status = 'released', occupied = false, released_at = now(), version = version + 1, updated_at = now()
            WHERE id = $1 AND status = 'active' RETURNING prefix::text AS prefix`,
          [victim.id],
        );
        expect(updated.rows).toEqual([{ prefix: format(lease.base, victim) }]);
        await c.query(`SELECT free_blocks_release($1, $2::cidr)`, [lease.id, format(lease.base, victim)]);
        return true;
      });
      oracle.mark(victim, false);
      seen.released++;
      if (oracle.live.length === 0) seen.wholeLeaseFree++;
    }
  }

  /** (a) free ∪ active == lease, disjoint, and equal to the oracle; (b) free blocks aligned and maximal. */
  async function checkInvariants(lease: { id: string; base: number }, oracle: Oracle): Promise<void> {
    const toBlock = (row: { network: string; length: number }) => ({ offset: Number(row.network) - lease.base, length: row.length });
    const free = (
      await pool.query(`SELECT (prefix - '0.0.0.0'::inet)::text AS network, masklen(prefix) AS length FROM free_blocks WHERE lease_id = $1 ORDER BY prefix`, [lease.id])
    ).rows.map(toBlock);
    const active = (
      await pool.query(
        `SELECT id, (prefix - '0.0.0.0'::inet)::text AS network, masklen(prefix) AS length FROM allocations WHERE lease_id = $1 AND occupied ORDER BY prefix`,
        [lease.id],
      )
    ).rows.map((r) => ({ id: r.id as string, ...toBlock(r) }));

    const cover = new Array<number>(SIZE).fill(0);
    for (const b of [...free, ...active]) {
      expect(b.offset >= 0 && b.offset + blockSize(b.length) <= SIZE && b.length >= LEASE_LENGTH).toBe(true);
      expect(b.offset % blockSize(b.length)).toBe(0);
      for (let i = b.offset; i < b.offset + blockSize(b.length); i++) cover[i]++;
    }
    const badAddresses = cover.flatMap((count, i) => (count === 1 ? [] : [`+${i}: covered ${count}×`]));
    expect(badAddresses).toEqual([]);

    const freeAddresses = new Set(free.flatMap((b) => Array.from({ length: blockSize(b.length) }, (_, i) => b.offset + i)));
    // Every address is exactly one of: taken in the oracle, or inside a free block.
    const disagreeing = oracle.taken.flatMap((taken, i) => (taken !== freeAddresses.has(i) ? [] : [i]));
    expect(disagreeing).toEqual([]);
    expect(active.map((a) => a.id).sort()).toEqual(oracle.live.map((a) => a.id).sort());

    for (const b of free) {
      if (b.length === LEASE_LENGTH) continue;
      const buddy = { offset: b.offset ^ blockSize(b.length), length: b.length };
      expect({ block: format(lease.base, b), buddyWhollyFree: oracle.whollyFree(buddy) }).toEqual({ block: format(lease.base, b), buddyWhollyFree: false });
    }
    // (a) and (b) together pin free_blocks down to the oracle's own maximal decomposition.
    expect(free.map((b) => format(lease.base, b))).toEqual(oracle.maximalFreeBlocks().map((b) => format(lease.base, b)));
  }

  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('next' as const), length: fc.integer({ min: 22, max: 32 }), firstFit: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('explicit' as const), length: fc.integer({ min: 24, max: 32 }), slot: fc.nat({ max: 255 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
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
    for (const [outcome, count] of Object.entries(seen)) expect({ outcome, exercised: count > 0 }).toEqual({ outcome, exercised: true });
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
