import fc from 'fast-check';
import { Pool, PoolClient } from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * free_blocks_claim_many / free_blocks_subtract_many (the set-based claims a bulk import uses)
 * against the per-row path they replace and against a brute-force oracle.
 *
 * Each run: a /24 lease L, and another lease O over the same space in a later term (the same /24,
 * a /25 inside it or the /23 around it), both fragmented first by random per-row claims. Then a
 * random set of disjoint prefixes inside L, in random row order, is "imported":
 * - per row: free_blocks_claim(L, p) and, when it succeeds, free_blocks_occupy_elsewhere(L, p),
 *   as allocation_place does one allocation at a time;
 * - set-based: free_blocks_claim_many over all rows, then free_blocks_subtract_many for O.
 * Both must refuse the same rows (a row is refused when its block is not wholly free; the set-based
 * path then changes nothing), and leave identical free lists, equal to the oracle's maximal free
 * blocks of "lease minus everything taken".
 */

interface Block {
  offset: number;
  length: number;
}

const BASE = (12 << 24) >>> 0;
const size = (length: number) => 2 ** (32 - length);
const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const cidr = (b: Block) => `${dotted(BASE + b.offset)}/${b.length}`;
const overlaps = (a: Block, b: Block) => a.offset < b.offset + size(b.length) && b.offset < a.offset + size(a.length);

/** Maximal aligned blocks of `lease` not covered by `taken` (offsets relative to BASE). */
function oracleFree(lease: Block, taken: Block[]): string[] {
  const blocked = (b: Block) => taken.some((t) => overlaps(t, b));
  const out: string[] = [];
  const visit = (b: Block) => {
    if (!blocked(b)) {
      out.push(cidr(b));
      return;
    }
    if (taken.some((t) => t.length <= b.length && overlaps(t, b))) return;
    visit({ offset: b.offset, length: b.length + 1 });
    visit({ offset: b.offset + size(b.length + 1), length: b.length + 1 });
  };
  visit(lease);
  return out;
}

/** Random blocks inside the /24 at offset 256 (L), kept only when disjoint from the ones before. */
const disjointBlocks = (max: number) =>
  fc.array(fc.record({ length: fc.integer({ min: 24, max: 32 }), slot: fc.nat() }), { maxLength: max }).map((raw) => {
    const chosen: Block[] = [];
    for (const r of raw) {
      const b = { offset: 256 + (r.slot % 2 ** (r.length - 24)) * size(r.length), length: r.length };
      if (!chosen.some((c) => overlaps(c, b))) chosen.push(b);
    }
    return chosen;
  });

const seen = { refused: 0, claimedAll: 0, otherSame: 0, otherInside: 0, otherAround: 0 };

describe('free_blocks_claim_many and free_blocks_subtract_many (property: same as per-row claims, and the oracle)', () => {
  let url: string;
  let pool: Pool;
  let lessorId: string;

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new Pool({ connectionString: url, max: 1, options: '-c TimeZone=UTC' });
    lessorId = (await pool.query(`INSERT INTO lessors (name, rir) VALUES ('Many lessor', 'RIPE') RETURNING id`)).rows[0]
      .id;
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  const insertLease = async (c: PoolClient, b: Block, startDate: string, endDate: string | null) =>
    (
      await c.query(
        `INSERT INTO leases (prefix, lessor_id, start_date, end_date, price_per_ip_monthly, currency)
         VALUES ($1, $2, $3, $4, 0.5, 'USD') RETURNING id`,
        [cidr(b), lessorId, startDate, endDate],
      )
    ).rows[0].id as string;
  const freeList = async (c: PoolClient, leaseId: string) =>
    (
      await c.query(`SELECT prefix::text AS p FROM free_blocks WHERE lease_id = $1 ORDER BY free_blocks.prefix`, [
        leaseId,
      ])
    ).rows.map((r) => r.p as string);

  it('refuses the same rows and leaves the same free lists as one claim per row, equal to the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Block>({ offset: 256, length: 24 }, { offset: 256, length: 25 }, { offset: 0, length: 23 }),
        disjointBlocks(12),
        disjointBlocks(12),
        disjointBlocks(40),
        async (otherSpace, takenInLease, takenInOther, rows) => {
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            const lease = await insertLease(c, { offset: 256, length: 24 }, '2025-01-01', '2099-12-31');
            const other = await insertLease(c, otherSpace, '2100-01-01', null);
            for (const b of takenInLease) await c.query(`SELECT free_blocks_claim($1, $2)`, [lease, cidr(b)]);
            const otherTaken = takenInOther.filter((b) => overlaps(b, otherSpace));
            for (const b of otherTaken) await c.query(`SELECT free_blocks_subtract($1, $2)`, [other, cidr(b)]);

            await c.query('SAVEPOINT per_row');
            const perRowRefused: number[] = [];
            for (const [i, b] of rows.entries()) {
              const { rows: r } = await c.query(`SELECT free_blocks_claim($1, $2) AS ok`, [lease, cidr(b)]);
              if (r[0].ok) await c.query(`SELECT free_blocks_occupy_elsewhere($1, $2)`, [lease, cidr(b)]);
              else perRowRefused.push(i + 1);
            }
            const perRow = { lease: await freeList(c, lease), other: await freeList(c, other) };
            await c.query('ROLLBACK TO SAVEPOINT per_row');

            const before = { lease: await freeList(c, lease), other: await freeList(c, other) };
            const refused = (
              await c.query(`SELECT n FROM free_blocks_claim_many($1::uuid[], $2::cidr[]) AS n`, [
                rows.map(() => lease),
                rows.map(cidr),
              ])
            ).rows.map((r) => r.n as number);
            expect(refused).toEqual(perRowRefused);
            if (refused.length) {
              seen.refused++;
              expect({ lease: await freeList(c, lease), other: await freeList(c, other) }).toEqual(before);
              return;
            }
            const inOther = rows.filter((b) => overlaps(b, otherSpace));
            await c.query(`SELECT free_blocks_subtract_many($1::uuid[], $2::cidr[])`, [
              inOther.map(() => other),
              inOther.map(cidr),
            ]);
            const setBased = { lease: await freeList(c, lease), other: await freeList(c, other) };
            expect(setBased).toEqual(perRow);
            expect(setBased).toEqual({
              lease: oracleFree({ offset: 256, length: 24 }, [...takenInLease, ...rows]),
              other: oracleFree(otherSpace, [...otherTaken, ...rows]),
            });
            seen.claimedAll++;
            if (inOther.length)
              seen[otherSpace.length === 24 ? 'otherSame' : otherSpace.length === 25 ? 'otherInside' : 'otherAround']++;
          } finally {
            await c.query('ROLLBACK');
            c.release();
          }
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 60_000 },
    );
    for (const [what, count] of Object.entries(seen))
      expect({ what, exercised: count > 0 }).toEqual({ what, exercised: true });
  }, 90_000);

  it('refuses overlapping prefixes of one lease instead of guessing', async () => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const lease = await insertLease(c, { offset: 256, length: 24 }, '2025-01-01', null);
      await expect(
        c.query(`SELECT free_blocks_claim_many($1::uuid[], $2::cidr[])`, [
          [lease, lease],
          [cidr({ offset: 256, length: 25 }), cidr({ offset: 256, length: 26 })],
        ]),
      ).rejects.toThrow(/overlaps another prefix/);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('the oracle itself: a /24 minus .64/27 is .0/26, .96/27, .128/25', () => {
    expect(oracleFree({ offset: 256, length: 24 }, [{ offset: 256 + 64, length: 27 }])).toEqual([
      '12.0.1.0/26',
      '12.0.1.96/27',
      '12.0.1.128/25',
    ]);
  });
});
