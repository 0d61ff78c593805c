import fc from 'fast-check';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Random sequences of API operations over the last five months (leases, amendments, allocations
 * with effective dates, moves with effective dates, releases, terminations, closing months):
 *  1. every closed month's monthly-cost answer (every grouping, the exact bytes) is the same before
 *     and after every later operation, and every refused write changes no table;
 *  2. with no month closed, every past month's report equals an independent oracle computed day by
 *     day from the model of what the API accepted (BigInt, rounded half up once).
 */
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY);
const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const monthFirst = (k: number) => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1) / DAY;
};
const WINDOW_START = monthFirst(5);
const SPAN = TODAY - WINDOW_START;
const GROUPINGS = ['lessor', 'provider', 'region', 'lease'];
const SIZE = 64;

type Op =
  | { kind: 'lease'; offset: number; price: number }
  | { kind: 'amend'; lease: number; offset: number; price: number }
  | { kind: 'allocate'; lease: number; slot: number; offset: number; provider: number; region: number }
  | { kind: 'move'; alloc: number; offset: number; field: 'providerId' | 'regionId'; value: number }
  | { kind: 'release'; alloc: number }
  | { kind: 'terminate'; lease: number; offset: number }
  | { kind: 'close'; monthsBack: number };

const offset = fc.integer({ min: 0, max: SPAN });
const price = fc.oneof(fc.integer({ min: 0, max: 30000 }), fc.constantFrom(1, 3333, 4500, 10000));
const opArb = (withClose: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('lease' as const), offset, price }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('amend' as const), lease: fc.nat(), offset, price }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('allocate' as const),
        lease: fc.nat(),
        slot: fc.integer({ min: 0, max: 3 }),
        offset,
        provider: fc.integer({ min: 0, max: 1 }),
        region: fc.integer({ min: 0, max: 1 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('move' as const),
        alloc: fc.nat(),
        offset,
        field: fc.constantFrom('providerId' as const, 'regionId' as const),
        value: fc.integer({ min: 0, max: 1 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), alloc: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('terminate' as const), lease: fc.nat(), offset }) },
    {
      weight: withClose ? 2 : 0,
      arbitrary: fc.record({ kind: fc.constant('close' as const), monthsBack: fc.integer({ min: 1, max: 4 }) }),
    },
  );

interface LeaseModel {
  id: string;
  start: number;
  terminated: number | null;
  /** day → price in 1/10000, in the order amendments were accepted (same day replaces). */
  amendments: Map<number, number>;
}
interface Change {
  from: number;
  field: 'leaseId' | 'providerId' | 'regionId';
  value: string;
}
interface AllocationModel {
  id: string;
  effective: number;
  released: number | null;
  initial: Record<Change['field'], string>;
  changes: Change[];
}

const roundHalfUp = (numerator: bigint, denominator: bigint) => (2n * numerator + denominator) / (2n * denominator);
const hundredths = (n: bigint) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;

describe('time: property tests over random API operation sequences', () => {
  let t: TestApp;
  let lessorId = '';
  const providers: string[] = [];
  const providerCodes: string[] = [];
  const regions: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    lessorId = (await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Prop', rir: 'RIPE' }).expect(201)).body
      .id;
    for (let i = 0; i < 2; i++) {
      providerCodes.push(`tp${i}`);
      providers.push(
        (
          await t.http
            .post('/api/v1/providers')
            .set(bearer())
            .send({ code: `tp${i}`, name: `P${i}` })
            .expect(201)
        ).body.id,
      );
      regions.push(
        (
          await t.http
            .post('/api/v1/regions')
            .set(bearer())
            .send({ code: `tr${i}`, name: `R${i}`, countryCode: 'IE' })
            .expect(201)
        ).body.id,
      );
    }
  });
  afterAll(() => t.close());

  const reset = async () => {
    await t.pool.query('DELETE FROM closed_month_reports');
    await t.pool.query('DELETE FROM period_events');
    await t.pool.query('DELETE FROM allocations');
    await t.pool.query('DELETE FROM leases');
  };
  const tablesHash = async () =>
    (
      await t.pool.query<{ h: string }>(
        `SELECT md5(concat_ws('|',
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM leases x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM lease_amendments x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM allocations x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM allocation_history x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM free_blocks x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM period_events x),
           (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM closed_month_reports x),
           (SELECT count(*) FROM audit_events))) AS h`,
      )
    ).rows[0].h;
  const reportText = (month: string, groupBy: string) =>
    t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month, groupBy })
      .set(bearer())
      .expect(200)
      .then((r) => r.text);

  /** Applies one operation through the API; the model changes only when the API accepted it. */
  async function apply(op: Op, leases: LeaseModel[], allocations: AllocationModel[]): Promise<number> {
    const day = (o: number) => Math.min(WINDOW_START + o, TODAY);
    switch (op.kind) {
      case 'lease': {
        const start = day(op.offset);
        const res = await t.http
          .post('/api/v1/leases')
          .set(bearer())
          .send({
            prefix: `185.72.${leases.length}.0/24`,
            lessorId,
            startDate: isoDay(start),
            pricePerIpMonthly: (op.price / 10000).toFixed(4),
            currency: 'USD',
          });
        if (res.status === 201)
          leases.push({ id: res.body.id, start, terminated: null, amendments: new Map([[start, op.price]]) });
        return res.status;
      }
      case 'amend': {
        if (!leases.length) return 0;
        const l = leases[op.lease % leases.length];
        const from = day(op.offset);
        const res = await t.http
          .post(`/api/v1/leases/${l.id}/amendments`)
          .set(bearer())
          .send({ effectiveDate: isoDay(from), pricePerIpMonthly: (op.price / 10000).toFixed(4) });
        if (res.status === 201) l.amendments.set(from, op.price);
        return res.status;
      }
      case 'allocate': {
        if (!leases.length) return 0;
        const li = op.lease % leases.length;
        const l = leases[li];
        const effective = day(op.offset);
        const res = await t.http
          .post('/api/v1/allocations')
          .set(bearer())
          .send({
            prefix: `185.72.${li}.${op.slot * SIZE}/26`,
            leaseId: l.id,
            regionId: regions[op.region],
            providerId: providers[op.provider],
            effectiveDate: isoDay(effective),
          });
        if (res.status === 201)
          allocations.push({
            id: res.body.id,
            effective,
            released: null,
            initial: { leaseId: l.id, providerId: providers[op.provider], regionId: regions[op.region] },
            changes: [],
          });
        return res.status;
      }
      case 'move': {
        const live = allocations.filter((a) => a.released === null);
        if (!live.length) return 0;
        const a = live[op.alloc % live.length];
        const from = day(op.offset);
        const value = (op.field === 'providerId' ? providers : regions)[op.value];
        const res = await t.http
          .patch(`/api/v1/allocations/${a.id}`)
          .set(bearer())
          .send({ [op.field]: value, effectiveDate: isoDay(from) });
        if (res.status === 200) a.changes.push({ from, field: op.field, value });
        return res.status;
      }
      case 'release': {
        const live = allocations.filter((a) => a.released === null);
        if (!live.length) return 0;
        const a = live[op.alloc % live.length];
        const res = await t.http.delete(`/api/v1/allocations/${a.id}`).set(bearer());
        if (res.status === 204) a.released = TODAY;
        return res.status;
      }
      case 'terminate': {
        if (!leases.length) return 0;
        const l = leases[op.lease % leases.length];
        const last = day(op.offset);
        const res = await t.http
          .post(`/api/v1/leases/${l.id}/terminate`)
          .set(bearer())
          .send({ effectiveDate: isoDay(last) });
        if (res.status === 200) l.terminated = last;
        return res.status;
      }
      case 'close': {
        const res = await t.http
          .post('/api/v1/periods/close')
          .set(bearer())
          .send({ through: isoDay(monthFirst(op.monthsBack)).slice(0, 7) });
        return res.status;
      }
    }
  }

  it('closed months never change, and refused writes change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(true), { minLength: 4, maxLength: 18 }), async (ops) => {
        await reset();
        const leases: LeaseModel[] = [];
        const allocations: AllocationModel[] = [];
        for (const op of ops) {
          const closedThrough = (await t.http.get('/api/v1/periods').set(bearer()).expect(200)).body.closedThrough as
            string | null;
          const closedMonths: string[] = [];
          for (let k = 5; k >= 1 && closedThrough; k--) {
            const month = isoDay(monthFirst(k)).slice(0, 7);
            if (month <= closedThrough) closedMonths.push(month);
          }
          const before: string[] = [];
          for (const month of closedMonths) for (const g of GROUPINGS) before.push(await reportText(month, g));
          const hash = await tablesHash();
          const status = await apply(op, leases, allocations);
          if (status >= 400) expect({ op, status, hash: await tablesHash() }).toEqual({ op, status, hash });
          const after: string[] = [];
          for (const month of closedMonths) for (const g of GROUPINGS) after.push(await reportText(month, g));
          expect(after).toEqual(before);
        }
      }),
      { numRuns: 12 },
    );
  });

  it('with no month closed, every past month equals a day-by-day oracle of the accepted operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb(false), { minLength: 3, maxLength: 16 }), async (ops) => {
        await reset();
        const leases: LeaseModel[] = [];
        const allocations: AllocationModel[] = [];
        for (const op of ops) await apply(op, leases, allocations);
        const byId = new Map(leases.map((l) => [l.id, l]));
        const priceOn = (l: LeaseModel, d: number) => {
          const days = [...l.amendments.keys()].sort((a, b) => a - b);
          const inForce = days.filter((x) => x <= d);
          return l.amendments.get(inForce.length ? inForce[inForce.length - 1] : days[0]) as number;
        };
        const leased = (l: LeaseModel, d: number) => d >= l.start && (l.terminated === null || d <= l.terminated);
        const attribute = (a: AllocationModel, d: number, field: Change['field']) => {
          let value = a.initial[field];
          for (const c of a.changes) if (c.field === field && c.from <= d) value = c.value;
          return value;
        };
        for (let k = 4; k >= 1; k--) {
          const first = monthFirst(k);
          const next = monthFirst(k - 1);
          const days = BigInt(next - first);
          const month = isoDay(first).slice(0, 7);
          let leaseDays = 0n;
          let leaseCost = 0n;
          const perProvider = new Map<string, { days: bigint; cost: bigint }>();
          for (let d = first; d < next; d++) {
            for (const l of leases) {
              if (!leased(l, d)) continue;
              leaseDays += 256n;
              leaseCost += 256n * BigInt(priceOn(l, d));
            }
            for (const a of allocations) {
              if (d < a.effective || (a.released !== null && d >= a.released)) continue;
              const l = byId.get(attribute(a, d, 'leaseId')) as LeaseModel;
              if (!leased(l, d)) continue;
              const p = attribute(a, d, 'providerId');
              const acc = perProvider.get(p) ?? { days: 0n, cost: 0n };
              acc.days += BigInt(SIZE);
              acc.cost += BigInt(SIZE) * BigInt(priceOn(l, d));
              perProvider.set(p, acc);
            }
          }
          const allocatedDays = [...perProvider.values()].reduce((s, x) => s + x.days, 0n);
          const allocatedCost = [...perProvider.values()].reduce((s, x) => s + x.cost, 0n);
          const money = (units: bigint) => hundredths(roundHalfUp(units, days * 100n));
          const addresses = (addressDays: bigint) => hundredths(roundHalfUp(addressDays * 100n, days));
          const expectedProviders = providers
            .map((id, i) => ({ id, code: providerCodes[i], acc: perProvider.get(id) }))
            .filter((p) => p.acc && p.acc.days > 0n)
            .map((p) => ({
              key: p.id,
              label: p.code,
              addresses: addresses(p.acc!.days),
              cost: money(p.acc!.cost),
            }));
          if (leaseDays > 0n)
            expectedProviders.push({
              key: 'unallocated',
              label: 'unallocated',
              addresses: addresses(leaseDays - allocatedDays),
              cost: money(leaseCost - allocatedCost),
            });
          const provider = JSON.parse(await reportText(month, 'provider')).rows;
          expect({
            month,
            ops,
            rows: provider.map((r: Record<string, string>) => ({
              key: r.key,
              label: r.label,
              addresses: r.addresses,
              cost: r.cost,
            })),
          }).toEqual({
            month,
            ops,
            rows: expectedProviders,
          });
          const lessor = JSON.parse(await reportText(month, 'lessor')).rows;
          expect({ month, ops, rows: lessor }).toEqual({
            month,
            ops,
            rows:
              leaseDays > 0n
                ? [
                    expect.objectContaining({
                      addresses: addresses(leaseDays),
                      cost: money(leaseCost),
                      allocatedAddresses: addresses(allocatedDays),
                      allocatedCost: money(allocatedCost),
                    }),
                  ]
                : [],
          });
        }
      }),
      { numRuns: 25 },
    );
  });
});
