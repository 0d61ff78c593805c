import fc from 'fast-check';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Property test against real PostgreSQL: random leases (terms that start, end, auto-renew and
 * terminate anywhere around the month) with random allocations, then
 *  1. every figure of the lessor and provider reports equals an independent exact oracle
 *     (BigInt arithmetic on address-days, rounded half up to cents once), and
 *  2. per currency, the provider rows (with "unallocated"), the region rows and the lease rows add
 *     up to the lessor rows, within the documented rounding: each row is within half a cent of its
 *     exact value, so two sums of n and m rows differ by at most (n + m) / 2 cents.
 */
const DAY = 86_400_000;
const EPOCH_2026 = Date.UTC(2026, 0, 1) / DAY;
const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const INFINITY = Number.MAX_SAFE_INTEGER;

interface LeaseSpec {
  lessor: number;
  length: number;
  currency: 'USD' | 'EUR';
  priceUnits: number; // price in 1/10000
  start: number; // day offset from 2026-01-01
  end: number | null; // days after start
  autoRenew: boolean;
  terminated: number | null; // days after start
  allocations: {
    block: number;
    provider: number;
    region: number;
    created: number;
    createdHour: number;
    released: number | null;
    releasedHour: number;
  }[];
}

const leaseArb: fc.Arbitrary<LeaseSpec> = fc
  .record({
    lessor: fc.integer({ min: 0, max: 2 }),
    length: fc.integer({ min: 24, max: 28 }),
    currency: fc.constantFrom('USD' as const, 'EUR' as const),
    priceUnits: fc.oneof(fc.integer({ min: 0, max: 20000 }), fc.constantFrom(1, 3333, 4500, 10000)),
    start: fc.integer({ min: -90, max: 240 }),
    end: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
    autoRenew: fc.boolean(),
    terminated: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
    allocations: fc.uniqueArray(
      fc.record({
        block: fc.integer({ min: 0, max: 3 }),
        provider: fc.integer({ min: 0, max: 2 }),
        region: fc.integer({ min: 0, max: 1 }),
        created: fc.integer({ min: -30, max: 300 }),
        createdHour: fc.integer({ min: 0, max: 23 }),
        released: fc.option(fc.integer({ min: 0, max: 120 }), { nil: null }),
        releasedHour: fc.integer({ min: 0, max: 23 }),
      }),
      { maxLength: 4, selector: (a) => a.block },
    ),
  })
  .map((l) => ({ ...l, autoRenew: l.autoRenew && l.end !== null }));

/** Exact figures of one group as BigInt numerators over (days in month); cents and hundredths rounded half up. */
class Acc {
  addressDays = 0n;
  cost = 0n; // 1/10000 currency × address-days
  allocatedAddressDays = 0n;
  allocatedCost = 0n;
}
const roundHalfUp = (numerator: bigint, denominator: bigint) => (2n * numerator + denominator) / (2n * denominator);
const hundredths = (n: bigint) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;

describe('reports: monthly cost property', () => {
  let t: TestApp;
  const lessors: string[] = [];
  const lessorNames: string[] = [];
  const providers: string[] = [];
  const regions: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 3; i++) {
      lessorNames.push(`Lessor ${i}`);
      lessors.push(
        (await t.http.post('/api/v1/lessors').set(bearer()).send({ name: lessorNames[i], rir: 'RIPE' }).expect(201))
          .body.id,
      );
      providers.push(
        (
          await t.http
            .post('/api/v1/providers')
            .set(bearer())
            .send({ code: `p${i}`, name: `P${i}` })
            .expect(201)
        ).body.id,
      );
    }
    for (let i = 0; i < 2; i++)
      regions.push(
        (
          await t.http
            .post('/api/v1/regions')
            .set(bearer())
            .send({ code: `r${i}`, name: `R${i}`, countryCode: 'IE' })
            .expect(201)
        ).body.id,
      );
  });
  afterAll(() => t.close());

  const report = async (month: string, groupBy: string) =>
    (await t.http.get('/api/v1/reports/monthly-cost').query({ month, groupBy }).set(bearer()).expect(200)).body
      .rows as Record<string, string>[];

  it('matches an exact oracle, and groupings add up to the lessor totals', async () => {
    const today = Date.parse(new Date().toISOString().slice(0, 10)) / DAY;
    await fc.assert(
      fc.asyncProperty(
        fc.array(leaseArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 14 }),
        async (leases, monthIndex) => {
          await t.pool.query('DELETE FROM allocations');
          await t.pool.query('DELETE FROM leases');

          const first = Date.UTC(2025, 10 + monthIndex, 1) / DAY;
          const next = Date.UTC(2025, 11 + monthIndex, 1) / DAY;
          const month = isoDay(first).slice(0, 7);
          const days = BigInt(next - first);
          const byLessor = new Map<string, Acc>();
          const byProvider = new Map<string, Acc>();
          const idle = new Map<string, Acc>();
          const acc = (map: Map<string, Acc>, key: string) => map.get(key) ?? map.set(key, new Acc()).get(key)!;

          for (const [i, l] of leases.entries()) {
            const start = EPOCH_2026 + l.start;
            const end = l.end === null ? null : start + l.end;
            const terminated = l.terminated === null ? null : start + l.terminated;
            const lastDay = terminated ?? (l.autoRenew ? INFINITY : (end ?? INFINITY));
            const size = 2 ** (32 - l.length);
            const price = `${Math.floor(l.priceUnits / 10000)}.${String(l.priceUnits % 10000).padStart(4, '0')}`;
            const { rows } = await t.pool.query(
              `INSERT INTO leases (prefix, lessor_id, start_date, end_date, auto_renew, terminated_on, price_per_ip_monthly, currency)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
              [
                `9.0.${i}.0/${l.length}`,
                lessors[l.lessor],
                isoDay(start),
                end === null ? null : isoDay(end),
                l.autoRenew,
                terminated === null ? null : isoDay(terminated),
                price,
                l.currency,
              ],
            );
            const leaseFirst = Math.max(start, first);
            const leaseNext = Math.min(lastDay === INFINITY ? INFINITY : lastDay + 1, next);
            const leaseDays = BigInt(Math.max(0, leaseNext - leaseFirst));
            const lessorAcc = acc(byLessor, `${lessors[l.lessor]}|${l.currency}`);
            const idleAcc = acc(idle, l.currency);
            lessorAcc.addressDays += BigInt(size) * leaseDays;
            lessorAcc.cost += BigInt(l.priceUnits) * BigInt(size) * leaseDays;
            idleAcc.addressDays += BigInt(size) * leaseDays;
            idleAcc.cost += BigInt(l.priceUnits) * BigInt(size) * leaseDays;

            // An allocation may stay active only if its lease covers today (the database checks it).
            const coversToday = start <= today - 1 && lastDay >= today + 1;
            for (const a of l.allocations) {
              const blockSize = size / 4;
              const prefix = `9.0.${i}.${a.block * blockSize}/${l.length + 2}`;
              const createdDay = start + a.created;
              const releasedDay =
                a.released === null
                  ? coversToday && createdDay < today
                    ? null
                    : createdDay + 30
                  : createdDay + a.released;
              const createdAt = `${isoDay(createdDay)}T${String(a.createdHour).padStart(2, '0')}:30:00Z`;
              const releasedAt =
                releasedDay === null
                  ? null
                  : `${isoDay(releasedDay)}T${String(a.releasedHour).padStart(2, '0')}:15:00Z`;
              if (releasedAt !== null && releasedAt < createdAt) continue;
              await t.pool.query(
                `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, status, occupied, created_at, updated_at, released_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`,
                [
                  rows[0].id,
                  prefix,
                  regions[a.region],
                  providers[a.provider],
                  releasedAt ? 'released' : 'active',
                  !releasedAt,
                  createdAt,
                  releasedAt,
                ],
              );
              const from = Math.max(createdDay, leaseFirst);
              const to = Math.min(releasedDay ?? INFINITY, leaseNext);
              const allocDays = BigInt(Math.max(0, to - from));
              if (allocDays === 0n) continue;
              const addressDays = BigInt(blockSize) * allocDays;
              const cost = BigInt(l.priceUnits) * addressDays;
              lessorAcc.allocatedAddressDays += addressDays;
              lessorAcc.allocatedCost += cost;
              const providerAcc = acc(byProvider, `${providers[a.provider]}|${l.currency}`);
              providerAcc.addressDays += addressDays;
              providerAcc.cost += cost;
              providerAcc.allocatedAddressDays += addressDays;
              providerAcc.allocatedCost += cost;
              idleAcc.addressDays -= addressDays;
              idleAcc.cost -= cost;
            }
          }

          const figures = (a: Acc) => {
            const cost = roundHalfUp(a.cost, days * 100n);
            const allocatedCost = roundHalfUp(a.allocatedCost, days * 100n);
            const addresses = roundHalfUp(a.addressDays * 100n, days);
            const allocatedAddresses = roundHalfUp(a.allocatedAddressDays * 100n, days);
            return {
              addresses: hundredths(addresses),
              cost: hundredths(cost),
              allocatedAddresses: hundredths(allocatedAddresses),
              allocatedCost: hundredths(allocatedCost),
              idleAddresses: hundredths(addresses - allocatedAddresses),
              idleCost: hundredths(cost - allocatedCost),
            };
          };
          const hasDays = (a: Acc) => a.addressDays > 0n || a.allocatedAddressDays > 0n;
          const expectedLessors = [...byLessor.entries()]
            .filter(([, a]) => a.addressDays > 0n)
            .map(([k, a]) => ({
              key: k.split('|')[0],
              label: lessorNames[lessors.indexOf(k.split('|')[0])],
              currency: k.split('|')[1],
              ...figures(a),
            }))
            .sort((x, y) => x.label.localeCompare(y.label) || x.currency.localeCompare(y.currency));
          const lessorRows = await report(month, 'lessor');
          expect(lessorRows).toEqual(expectedLessors);

          const providerRows = await report(month, 'provider');
          const expectedProviders = [...byProvider.entries()]
            .filter(([, a]) => hasDays(a))
            .map(([k, a]) => ({ key: k.split('|')[0], currency: k.split('|')[1], ...figures(a) }))
            .sort(
              (x, y) => providers.indexOf(x.key) - providers.indexOf(y.key) || x.currency.localeCompare(y.currency),
            );
          const leasedCurrencies = new Set(expectedLessors.map((r) => r.currency));
          const expectedIdle = [...idle.entries()]
            .filter(([currency]) => leasedCurrencies.has(currency))
            .map(([currency, a]) => {
              const f = figures(a);
              return {
                key: 'unallocated',
                currency,
                addresses: f.addresses,
                cost: f.cost,
                allocatedAddresses: '0.00',
                allocatedCost: '0.00',
                idleAddresses: f.addresses,
                idleCost: f.cost,
              };
            })
            .sort((x, y) => x.currency.localeCompare(y.currency));
          expect(providerRows.map(({ label: _label, ...rest }) => rest)).toEqual([
            ...expectedProviders,
            ...expectedIdle,
          ]);

          // Additivity, per currency and figure, within the rounding bound.
          const cents = (rows: Record<string, string>[], currency: string, field: string) =>
            rows.filter((r) => r.currency === currency).reduce((sum, r) => sum + Math.round(Number(r[field]) * 100), 0);
          const count = (rows: Record<string, string>[], currency: string) =>
            rows.filter((r) => r.currency === currency).length;
          const regionRows = await report(month, 'region');
          const leaseRows = await report(month, 'lease');
          for (const currency of leasedCurrencies) {
            for (const other of [providerRows, regionRows, leaseRows]) {
              const bound = (count(other, currency) + count(lessorRows, currency)) / 2;
              for (const field of ['cost', 'allocatedCost', 'addresses', 'allocatedAddresses']) {
                expect(
                  Math.abs(cents(other, currency, field) - cents(lessorRows, currency, field)),
                ).toBeLessThanOrEqual(bound);
              }
              // idle = cost − allocated per row, so it is within twice the bound.
              expect(
                Math.abs(cents(other, currency, 'idleCost') - cents(lessorRows, currency, 'idleCost')),
              ).toBeLessThanOrEqual(2 * bound);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
