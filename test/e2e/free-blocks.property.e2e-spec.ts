import fc from 'fast-check';
import { Pool, PoolClient } from 'pg';
import { AllocationsRepository } from '../../src/allocations/allocations.repository';
import { asQueryable } from '../support/queryable';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * The buddy free-space index (free_blocks, allocation_create / allocation_place and the
 * free_blocks_* functions) against a brute-force oracle.
 *
 * Every step calls AllocationsRepository exactly as AllocationsService does, one transaction each:
 * - allocate: create (allocation_create: allocation_place — locks the lease, reclaims expired
 *   holds, takes or claims — then the insert, its audit row and event, in one statement); when
 *   nothing is placed the service throws, so the transaction rolls back;
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

  const create = (
    c: PoolClient,
    leaseId: string,
    request: { length: number; firstFit: boolean } | { prefix: string },
    strategy: string,
  ) =>
    allocations.create(
      asQueryable(c),
      leaseId,
      request,
      {
        region_id: regionId,
        provider_id: providerId,
        strategy,
        name: null,
        origin_asn: null,
        description: null,
        tags: [],
        effective_date: null,
      },
      { actorKeyId: null, actorName: 'property test', requestId: null, clientRequestId: null, eventTypes: [] },
    );

  async function step(lease: { id: string; base: number }, oracle: Oracle, op: Op): Promise<void> {
    const reclaimable = oracle.held.filter((h) => h.expired).length;
    if (op.kind === 'next') {
      const expected = oracle.afterReclaim().next(op.length, op.firstFit);
      let id: string | undefined;
      await transaction(async (c) => {
        const got = await create(
          c,
          lease.id,
          { length: op.length, firstFit: op.firstFit },
          op.firstFit ? 'first-fit' : 'best-fit',
        );
        expect({ op, outcome: got.outcome, placed: got.placed }).toEqual({
          op,
          outcome: expected ? 'placed' : 'full',
          placed: expected && format(lease.base, expected),
        });
        id = got.created?.id;
        return id !== undefined;
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
        const got = await create(c, lease.id, { prefix }, 'explicit');
        expect({ prefix, outcome: got.outcome, leasePrefix: got.leasePrefix }).toEqual({
          prefix,
          outcome: expected,
          leasePrefix: `${dotted(lease.base)}/24`,
        });
        if (got.outcome !== 'placed') return false;
        expect({ placed: got.placed, row: got.created?.prefix }).toEqual({ placed: prefix, row: prefix });
        id = got.created?.id;
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

  /**
   * Concurrency (issue 15 item 2): each round runs its operations at once, one client and one
   * transaction each, as the service would for simultaneous requests (deadlock and serialization
   * failures retried like Database.transaction). Best-fit then means "best block nobody is taking
   * right now", so placements are not compared with the oracle one by one; instead, after each
   * round (quiescence):
   * - every placement is an aligned block of the requested length inside the lease that overlaps
   *   nothing else occupied (zero overlaps), and the database holds exactly the allocations the
   *   clients were told about;
   * - free ∪ occupied is the lease, each address exactly once (exact capacity, no lost block), and
   *   the free list is the oracle's maximal decomposition (every buddy merged);
   * - in a round that could free nothing (no release, no expired hold), 'full' and 'taken' answers
   *   were right: space only shrank, so what was not there then is not there now.
   */
  const CLIENTS = 6;
  const seenConcurrently = { placed: 0, full: 0, claimed: 0, taken: 0, released: 0, reclaimed: 0, wholeLeaseFree: 0 };

  async function concurrentTransaction<T>(
    clients: Pool,
    fn: (c: PoolClient) => Promise<{ commit: boolean; result: T }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await clients.connect();
      try {
        await c.query('BEGIN');
        const { commit, result } = await fn(c);
        await c.query(commit ? 'COMMIT' : 'ROLLBACK');
        return result;
      } catch (error) {
        await c.query('ROLLBACK');
        const code = (error as { code?: string }).code;
        if (attempt < 5 && (code === '40P01' || code === '40001')) continue;
        throw error;
      } finally {
        c.release();
      }
    }
  }

  type Answer =
    | { op: Op; outcome: string; block?: Block; id?: string }
    | { op: Op & { kind: 'release' }; victim: Live; outcome: 'released' };

  async function concurrentRound(clients: Pool, lease: { id: string; base: number }, oracle: Oracle, round: Op[]) {
    const nothingFreed = !round.some((o) => o.kind === 'release') && !oracle.held.some((h) => h.expired);
    const victims = new Set<Live>();
    const planned = round.flatMap((op): (() => Promise<Answer>)[] => {
      if (op.kind === 'release') {
        const candidates = oracle.live.filter((l) => !victims.has(l));
        if (candidates.length === 0) return [];
        const victim = candidates[op.pick % candidates.length];
        victims.add(victim);
        const holdDays = { none: null, expired: -1, future: 1 }[op.hold];
        return [
          () =>
            concurrentTransaction(clients, async (c) => {
              const released = await allocations.release(asQueryable(c), victim.id, holdDays);
              expect({ prefix: released?.prefix, occupied: released?.occupied }).toEqual({
                prefix: format(lease.base, victim),
                occupied: op.hold !== 'none',
              });
              return { commit: true, result: { op, victim, outcome: 'released' as const } };
            }),
        ];
      }
      const request =
        op.kind === 'next'
          ? { length: op.length, firstFit: op.firstFit }
          : {
              prefix:
                op.kind === 'explicit'
                  ? format(lease.base, explicitBlock(op))
                  : format(lease.base + SIZE, explicitBlock(op)),
            };
      if (op.kind === 'outside' && op.length === LEASE_LENGTH) return [];
      return [
        () =>
          concurrentTransaction(clients, async (c) => {
            const got = await create(
              c,
              lease.id,
              request,
              op.kind !== 'next' ? 'explicit' : op.firstFit ? 'first-fit' : 'best-fit',
            );
            const block = got.placed ? toBlock(lease.base, got.placed) : undefined;
            return { commit: !!got.created, result: { op, outcome: got.outcome, block, id: got.created?.id } };
          }),
      ];
    });
    const answers = await Promise.all(planned.map((run) => run()));

    for (const a of answers) {
      if (!('victim' in a)) continue;
      oracle.live.splice(oracle.live.indexOf(a.victim), 1);
      if (a.op.hold === 'none') oracle.mark(a.victim, false);
      else oracle.held.push({ ...a.victim, expired: a.op.hold === 'expired' });
      seenConcurrently.released++;
    }
    // Expired holds (also ones released in this round) that a placement reclaimed are free again.
    const stillOccupied = new Set<string>(
      (await pool.query(`SELECT id FROM allocations WHERE lease_id = $1 AND occupied`, [lease.id])).rows.map(
        (r) => r.id,
      ),
    );
    for (const h of [...oracle.held]) {
      if (stillOccupied.has(h.id)) continue;
      expect({ hold: format(lease.base, h), expired: h.expired }).toEqual({
        hold: format(lease.base, h),
        expired: true,
      });
      oracle.mark(h, false);
      oracle.held.splice(oracle.held.indexOf(h), 1);
      seenConcurrently.reclaimed++;
    }
    const refused: { op: Op; outcome: string }[] = [];
    for (const a of answers) {
      const { op } = a;
      if ('victim' in a || op.kind === 'release') continue;
      if (op.kind === 'outside' || a.outcome !== 'placed') {
        refused.push({ op, outcome: a.outcome });
        continue;
      }
      const block = a.block as Block;
      const expectedBlock = op.kind === 'explicit' ? explicitBlock(op) : block;
      expect({ op, block, aligned: block.offset % blockSize(block.length) === 0 }).toEqual({
        op,
        block: { ...expectedBlock, length: op.length },
        aligned: true,
      });
      expect({ op, block: format(lease.base, block), overlapsNothing: oracle.whollyFree(block) }).toEqual({
        op,
        block: format(lease.base, block),
        overlapsNothing: true,
      });
      oracle.mark(block, true);
      oracle.live.push({ ...block, id: a.id as string });
      seenConcurrently[op.kind === 'next' ? 'placed' : 'claimed']++;
    }
    // Refusals are judged against the end of the round, once every placement is marked.
    for (const { op, outcome } of refused) {
      if (op.kind === 'outside') {
        expect({ op, outcome }).toEqual({ op, outcome: 'outside' });
      } else if (op.kind === 'next') {
        expect({ op, outcome }).toEqual({ op, outcome: 'full' });
        seenConcurrently.full++;
        if (nothingFreed) expect({ op, stillFull: oracle.next(op.length, true) }).toEqual({ op, stillFull: null });
      } else if (op.kind === 'explicit') {
        expect({ op, outcome }).toEqual({ op, outcome: 'taken' });
        seenConcurrently.taken++;
        if (nothingFreed)
          expect({ op, stillTaken: !oracle.whollyFree(explicitBlock(op)) }).toEqual({ op, stillTaken: true });
      }
    }
    if (oracle.live.length === 0 && oracle.held.length === 0) seenConcurrently.wholeLeaseFree++;
  }

  it('concurrent clients taking, claiming and releasing at once: zero overlaps, exact capacity, free list merged as the oracle says', async () => {
    const clients = new Pool({ connectionString: url, max: CLIENTS, options: '-c TimeZone=UTC' });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(op, { minLength: 2, maxLength: CLIENTS * 2 }), { minLength: 1, maxLength: 12 }),
          async (rounds) => {
            const lease = await newLease();
            const oracle = new Oracle();
            for (const round of rounds) {
              await concurrentRound(clients, lease, oracle, round);
              await checkInvariants(lease, oracle);
            }
          },
        ),
        {
          numRuns: 30,
          interruptAfterTimeLimit: 45_000,
          // Run first, whatever the random runs do: three blocks taken at once, then released at once,
          // so merging back to the whole lease under concurrent releases is always exercised.
          examples: [
            [
              [
                [
                  { kind: 'next', length: 26, firstFit: true },
                  { kind: 'next', length: 26, firstFit: false },
                  { kind: 'next', length: 25, firstFit: false },
                ],
                [
                  { kind: 'release', pick: 0, hold: 'none' },
                  { kind: 'release', pick: 0, hold: 'none' },
                  { kind: 'release', pick: 0, hold: 'none' },
                ],
              ],
            ],
          ],
        },
      );
    } finally {
      await clients.end();
    }
    for (const [outcome, count] of Object.entries(seenConcurrently))
      expect({ outcome, exercised: count > 0 }).toEqual({ outcome, exercised: true });
  }, 60_000);

  it('next-free and explicit creates in one lease run at once, while a change to the lease waits for them', async () => {
    const lease = await newLease();
    const clients = new Pool({ connectionString: url, max: 4, options: '-c TimeZone=UTC' });
    const open = await Promise.all([0, 1, 2, 3].map(() => clients.connect()));
    try {
      // One committed /28 first, so the lease has several free blocks (/28, /27, /26, /25).
      const [first, second, third, lifecycle] = open;
      const createIn = async (c: PoolClient, request: { length: number; firstFit: boolean } | { prefix: string }) => {
        await c.query('BEGIN');
        // Waiting for another allocator's lock would fail at once instead of passing late.
        await c.query(`SET LOCAL lock_timeout = '200ms'`);
        return create(c, lease.id, request, 'prefix' in request ? 'explicit' : 'best-fit');
      };
      const committed = await createIn(first, { length: 28, firstFit: false });
      await first.query('COMMIT');
      const a = await createIn(first, { length: 28, firstFit: false });
      const b = await createIn(second, { length: 28, firstFit: false });
      const c = await createIn(third, { prefix: `${dotted(lease.base + 128)}/26` });
      // All three are open and uncommitted; the lease row is share-locked by each of them.
      expect([a.outcome, b.outcome, c.outcome]).toEqual(['placed', 'placed', 'placed']);
      expect(new Set([committed.placed, a.placed, b.placed, c.placed]).size).toBe(4);
      await lifecycle.query(`SET lock_timeout = '200ms'`);
      await expect(
        lifecycle.query(`UPDATE leases SET auto_renew = auto_renew WHERE id = $1`, [lease.id]),
      ).rejects.toMatchObject({ code: '55P03' });
      await Promise.all([first, second, third].map((conn) => conn.query('COMMIT')));

      const oracle = new Oracle();
      for (const got of [committed, a, b, c]) {
        const block = toBlock(lease.base, got.placed as string);
        oracle.mark(block, true);
        oracle.live.push({ ...block, id: got.created?.id as string });
      }
      await checkInvariants(lease, oracle);
    } finally {
      for (const conn of open) conn.release();
      await clients.end();
    }
  });

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

function toBlock(base: number, prefix: string): Block {
  const [address, length] = prefix.split('/');
  const n = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { offset: n - base, length: Number(length) };
}

/** The block an explicit (or outside) op names, as an offset inside a /24. */
function explicitBlock(op: { length: number; slot: number }): Block {
  return { offset: (op.slot % 2 ** (op.length - LEASE_LENGTH)) * blockSize(op.length), length: op.length };
}

function format(base: number, b: Block): string {
  return `${dotted(base + b.offset)}/${b.length}`;
}
