import fc from 'fast-check';
import { Pool } from 'pg';
import { RoutingRepository } from '../../src/routing/routing.repository';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * RFC 6811 section 2, written from the RFC's definitions, as the oracle for the SQL:
 * - a VRP *covers* a route when the VRP prefix length ≤ the route length and the VRP prefix bits
 *   equal the route's first bits;
 * - it *matches* when it covers, the route length ≤ maxLength and the VRP ASN equals the route's
 *   origin AS (an origin is never AS0, so an AS0 VRP never matches — RFC 6483 section 4);
 * - NotFound: no VRP covers; Valid: at least one matches; Invalid: covered and none matches.
 * iplease adds `unknown-origin` (no origin to validate) and the invalid reason (`as` when no covering
 * VRP carries the origin AS, else `length`).
 */
interface OracleVrp {
  network: number;
  length: number;
  maxLength: number;
  asn: number;
}
interface Route {
  network: number;
  length: number;
  origin: number | null;
}

const mask = (length: number) => (length === 0 ? 0 : (~0 << (32 - length)) >>> 0);
const covers = (v: OracleVrp, r: Route) => v.length <= r.length && (r.network & mask(v.length)) >>> 0 === v.network;

function oracle(vrps: OracleVrp[], route: Route) {
  const covering = vrps.filter((v) => covers(v, route));
  if (route.origin === null) return { state: 'unknown-origin', reason: null, covering };
  if (covering.length === 0) return { state: 'not-found', reason: null, covering };
  const matched = covering.some((v) => route.length <= v.maxLength && v.asn === route.origin);
  if (matched) return { state: 'valid', reason: null, covering };
  return { state: 'invalid', reason: covering.some((v) => v.asn === route.origin) ? 'length' : 'as', covering };
}

const text = (network: number, length: number) =>
  `${[24, 16, 8, 0].map((s) => (network >>> s) & 255).join('.')}/${length}`;

// A small address space (one /20) and few ASNs, so covering, AS collisions and AS0 happen often.
const BASE = 0xb9f00000; // 185.240.0.0
const prefixArb = fc
  .record({ offset: fc.integer({ min: 0, max: 4095 }), length: fc.integer({ min: 20, max: 32 }) })
  .map(({ offset, length }) => ({ network: ((BASE + offset) & mask(length)) >>> 0, length }));
const asnArb = fc.constantFrom(0, 1, 2, 3, 65000);
const vrpArb = fc
  .tuple(prefixArb, asnArb, fc.integer({ min: 0, max: 12 }), fc.boolean())
  .map(([p, asn, extra, toTheEnd]) => ({ ...p, asn, maxLength: toTheEnd ? 32 : Math.min(32, p.length + extra) }));
const routeArb = fc
  .tuple(prefixArb, fc.option(fc.constantFrom(1, 2, 3, 65000), { nil: null, freq: 8 }))
  .map(([p, origin]) => ({ ...p, origin }));

describe('RFC 6811 origin validation in SQL against an oracle written from the RFC', () => {
  let url: string;
  let pool: Pool;
  const repository = new RoutingRepository();
  const q = { query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T };

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  async function load(vrps: OracleVrp[]): Promise<void> {
    await pool.query('DELETE FROM rpki_vrps');
    await pool.query(
      `INSERT INTO rpki_vrps (prefix, max_length, asn) SELECT * FROM unnest($1::cidr[], $2::smallint[], $3::bigint[])`,
      [vrps.map((v) => text(v.network, v.length)), vrps.map((v) => v.maxLength), vrps.map((v) => v.asn)],
    );
  }

  async function check(vrps: OracleVrp[], routes: Route[]): Promise<void> {
    await load(vrps);
    const got = await repository.validate(
      q,
      routes.map((r) => ({ prefix: text(r.network, r.length), origin: r.origin })),
    );
    routes.forEach((route, i) => {
      const want = oracle(vrps, route);
      const context = `route ${text(route.network, route.length)} AS${route.origin}`;
      expect({ context, state: got[i].state, reason: got[i].invalid_reason }).toEqual({
        context,
        state: want.state,
        reason: want.reason,
      });
      const covering = got[i].vrps.map((v) => `${v.prefix} ${v.maxLength} AS${v.asn}`).sort();
      expect(covering).toEqual(
        want.covering.map((v) => `${text(v.network, v.length)} ${v.maxLength} AS${v.asn}`).sort(),
      );
    });
  }

  it.each([
    ['exact match', [{ p: '185.240.0.0/24', max: 24, asn: 1 }], '185.240.0.0/24', 1, 'valid', null],
    ['maxLength one short', [{ p: '185.240.0.0/22', max: 23, asn: 1 }], '185.240.0.0/24', 1, 'invalid', 'length'],
    [
      'maxLength exactly the route length',
      [{ p: '185.240.0.0/22', max: 24, asn: 1 }],
      '185.240.1.0/24',
      1,
      'valid',
      null,
    ],
    ['covering but wrong AS', [{ p: '185.240.0.0/22', max: 24, asn: 2 }], '185.240.0.0/24', 1, 'invalid', 'as'],
    ['AS0 ROA covers', [{ p: '185.240.0.0/22', max: 32, asn: 0 }], '185.240.0.0/24', 1, 'invalid', 'as'],
    [
      'AS0 plus a matching ROA',
      [
        { p: '185.240.0.0/22', max: 32, asn: 0 },
        { p: '185.240.0.0/24', max: 24, asn: 1 },
      ],
      '185.240.0.0/24',
      1,
      'valid',
      null,
    ],
    [
      'a more specific VRP does not cover',
      [{ p: '185.240.0.0/25', max: 32, asn: 1 }],
      '185.240.0.0/24',
      1,
      'not-found',
      null,
    ],
    ['adjacent, not covering', [{ p: '185.240.1.0/24', max: 24, asn: 1 }], '185.240.0.0/24', 1, 'not-found', null],
    ['no origin', [{ p: '185.240.0.0/24', max: 24, asn: 1 }], '185.240.0.0/24', null, 'unknown-origin', null],
  ])('%s', async (_name, vrps, route, origin, state, reason) => {
    await pool.query('DELETE FROM rpki_vrps');
    for (const v of vrps) {
      await pool.query('INSERT INTO rpki_vrps (prefix, max_length, asn) VALUES ($1, $2, $3)', [v.p, v.max, v.asn]);
    }
    const [got] = await repository.validate(q, [{ prefix: route, origin }]);
    expect([got.state, got.invalid_reason]).toEqual([state, reason]);
  });

  it('agrees with the RFC on random VRP sets and routes (AS0, maxLength edges, covering-but-wrong-AS)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(vrpArb, { maxLength: 25 }),
        fc.array(routeArb, { minLength: 1, maxLength: 25 }),
        async (vrps, routes) => {
          // Half the time, some routes sit exactly on a VRP (same prefix), to hit the maxLength edge.
          const onVrps = vrps
            .slice(0, 5)
            .map((v, i) => ({ network: v.network, length: Math.min(32, v.maxLength + (i % 2)), origin: v.asn || 1 }));
          await check(vrps, [...routes, ...onVrps.filter((r) => (r.network & mask(r.length)) >>> 0 === r.network)]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
