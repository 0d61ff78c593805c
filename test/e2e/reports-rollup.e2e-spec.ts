import fc from 'fast-check';
import { ReportsRepository } from '../../src/reports/reports.repository';
import type { CostGroup } from '../../src/reports/dto/report-query.dto';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * The monthly-cost rollup (docs/design.md, "Monthly cost rollup") against the live computation
 * (ReportsRepository.monthlyCost, the query the oracle tests check): for random sequences of API
 * writes (leases, amendments, allocations with effective dates, moves, releases, terminations,
 * lessor changes) interleaved with reports that build and refresh the rollup, every rolled-up
 * month and grouping gives exactly the live rows — through the API, and straight from the
 * rolled-up query while the stale log still names changed leases (their buckets computed live).
 */
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY);
const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const monthFirst = (k: number) => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1) / DAY;
};
const WINDOW_START = monthFirst(4);
const SPAN = TODAY - WINDOW_START;
/** The rolled-up months: two before the current one through the next one. */
const MONTHS = [2, 1, 0, -1].map((k) => isoDay(monthFirst(k)));
const GROUPINGS: CostGroup[] = ['lessor', 'provider', 'region', 'lease'];

type Op =
  | { kind: 'lease'; offset: number; price: number; currency: 'USD' | 'EUR' }
  | { kind: 'amend'; lease: number; offset: number; price: number }
  | { kind: 'allocate'; lease: number; slot: number; offset: number; provider: number; region: number }
  | { kind: 'move'; alloc: number; offset: number; field: 'providerId' | 'regionId'; value: number }
  | { kind: 'release'; alloc: number }
  | { kind: 'terminate'; lease: number; offset: number }
  | { kind: 'lessor'; lease: number; lessor: number }
  | { kind: 'report'; month: number; groupBy: number };

const offset = fc.integer({ min: 0, max: SPAN });
const price = fc.integer({ min: 0, max: 30000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('lease' as const),
      offset,
      price,
      currency: fc.constantFrom('USD' as const, 'EUR' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('amend' as const), lease: fc.nat(), offset, price }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('allocate' as const),
      lease: fc.nat(),
      slot: fc.integer({ min: 0, max: 3 }),
      offset,
      provider: fc.integer({ min: 0, max: 2 }),
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
      value: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), alloc: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('terminate' as const), lease: fc.nat(), offset }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lessor' as const),
      lease: fc.nat(),
      lessor: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      month: fc.integer({ min: 0, max: MONTHS.length - 1 }),
      groupBy: fc.integer({ min: 0, max: GROUPINGS.length - 1 }),
    }),
  },
);

describe('reports: the monthly-cost rollup gives exactly the live rows', () => {
  let t: TestApp;
  const repository = new ReportsRepository();
  const q = { query: async <T>(sql: string, params?: unknown[]) => (await t.pool.query(sql, params)).rows as T };
  const lessors: string[] = [];
  const providers: string[] = [];
  const regions: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 2; i++) {
      lessors.push(
        (
          await t.http
            .post('/api/v1/lessors')
            .set(bearer())
            .send({ name: `Roll ${i}`, rir: 'RIPE' })
            .expect(201)
        ).body.id,
      );
      regions.push(
        (
          await t.http
            .post('/api/v1/regions')
            .set(bearer())
            .send({ code: `rr${i}`, name: `R${i}`, countryCode: 'IE' })
            .expect(201)
        ).body.id,
      );
    }
    for (let i = 0; i < 3; i++) {
      providers.push(
        (
          await t.http
            .post('/api/v1/providers')
            .set(bearer())
            .send({ code: `rp${i}`, name: `P${i}` })
            .expect(201)
        ).body.id,
      );
    }
  });
  afterAll(() => t.close());

  const apiRows = async (month: string, groupBy: CostGroup) =>
    (
      await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: month.slice(0, 7), groupBy })
        .set(bearer())
        .expect(200)
    ).body.rows;
  const asApi = (rows: Awaited<ReturnType<ReportsRepository['monthlyCost']>>) =>
    rows.map((r) => ({
      key: r.key,
      label: r.label,
      currency: r.currency,
      addresses: r.addresses,
      cost: r.cost,
      allocatedAddresses: r.allocated_addresses,
      allocatedCost: r.allocated_cost,
      idleAddresses: r.idle_addresses,
      idleCost: r.idle_cost,
    }));

  /** Applies one operation; answers whether it created a lease or an allocation (a write that must be logged as stale). */
  async function apply(op: Op, leases: string[], allocations: string[]): Promise<boolean> {
    const day = (o: number) => isoDay(Math.min(WINDOW_START + o, TODAY));
    switch (op.kind) {
      case 'lease': {
        const res = await t.http
          .post('/api/v1/leases')
          .set(bearer())
          .send({
            prefix: `185.72.${leases.length}.0/24`,
            lessorId: lessors[leases.length % 2],
            startDate: day(op.offset),
            pricePerIpMonthly: (op.price / 10000).toFixed(4),
            currency: op.currency,
          });
        if (res.status === 201) leases.push(res.body.id);
        return res.status === 201;
      }
      case 'amend':
        if (leases.length)
          await t.http
            .post(`/api/v1/leases/${leases[op.lease % leases.length]}/amendments`)
            .set(bearer())
            .send({ effectiveDate: day(op.offset), pricePerIpMonthly: (op.price / 10000).toFixed(4) });
        return false;
      case 'allocate': {
        if (!leases.length) return false;
        const li = op.lease % leases.length;
        const res = await t.http
          .post('/api/v1/allocations')
          .set(bearer())
          .send({
            prefix: `185.72.${li}.${op.slot * 64}/26`,
            leaseId: leases[li],
            regionId: regions[op.region],
            providerId: providers[op.provider],
            effectiveDate: day(op.offset),
          });
        if (res.status === 201) allocations.push(res.body.id);
        return res.status === 201;
      }
      case 'move':
        if (allocations.length)
          await t.http
            .patch(`/api/v1/allocations/${allocations[op.alloc % allocations.length]}`)
            .set(bearer())
            .send({
              [op.field]: (op.field === 'providerId' ? providers : regions)[op.value % 2],
              effectiveDate: day(op.offset),
            });
        return false;
      case 'release':
        if (allocations.length)
          await t.http.delete(`/api/v1/allocations/${allocations[op.alloc % allocations.length]}`).set(bearer());
        return false;
      case 'terminate':
        if (leases.length)
          await t.http
            .post(`/api/v1/leases/${leases[op.lease % leases.length]}/terminate`)
            .set(bearer())
            .send({ effectiveDate: day(op.offset) });
        return false;
      case 'lessor':
        if (leases.length)
          await t.http
            .patch(`/api/v1/leases/${leases[op.lease % leases.length]}`)
            .set(bearer())
            .send({ lessorId: lessors[op.lessor] });
        return false;
      case 'report': {
        const month = MONTHS[op.month];
        const groupBy = GROUPINGS[op.groupBy];
        expect(await apiRows(month, groupBy)).toEqual(asApi(await repository.monthlyCost(q, month, groupBy)));
        return false;
      }
    }
  }

  /** Every rolled-up month and grouping: the rolled-up query (stale buckets live) and the API equal the live rows. */
  async function checkAll(): Promise<void> {
    for (const month of MONTHS) {
      for (const groupBy of GROUPINGS) {
        const live = await repository.monthlyCost(q, month, groupBy);
        expect(await repository.monthlyCostRolledUp(q, month, groupBy)).toEqual(live);
        expect(await apiRows(month, groupBy)).toEqual(asApi(live));
      }
    }
  }

  it('equals the live rows for random writes interleaved with builds and refreshes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        await t.pool.query('DELETE FROM allocations');
        await t.pool.query('DELETE FROM leases');
        const leases: string[] = [];
        const allocations: string[] = [];
        let createdSinceReport = false;
        for (const op of ops) {
          if (await apply(op, leases, allocations)) createdSinceReport = true;
          else if (op.kind === 'report') createdSinceReport = false;
        }
        // The writes since the last report are in the stale log: their buckets are computed live.
        const stale = (await t.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM monthly_cost_stale`)).rows[0]
          .n;
        if (createdSinceReport) expect(stale).toBeGreaterThan(0);
        await checkAll();
        // The API rolled up every month it was asked about (in the background) …
        const months = async () =>
          (
            await t.pool.query<{ month: string }>(
              `SELECT to_char(month, 'YYYY-MM-DD') AS month FROM monthly_cost_rollup_months ORDER BY month`,
            )
          ).rows.map((r) => r.month);
        for (let waited = 0; (await months()).length < MONTHS.length && waited < 30_000; waited += 50) {
          // One background build at a time: a month asked for while another was building is asked again.
          const built = await months();
          for (const month of MONTHS.filter((m) => !built.includes(m))) await apiRows(month, 'lessor');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await months()).toEqual(MONTHS.slice().sort());
        // … and the next report brings it up to date: the stale log is empty.
        await apiRows(MONTHS[0], 'lessor');
        expect((await t.pool.query(`SELECT 1 FROM monthly_cost_stale`)).rowCount).toBe(0);
        // With nothing stale, the rolled-up query reads rollup rows only and still equals the live rows.
        await checkAll();
      }),
      { numRuns: 15 },
    );
  });

  it('a month outside the window is computed live and leaves no rollup', async () => {
    const old = isoDay(monthFirst(6));
    const rows = await apiRows(old, 'provider');
    expect(rows).toEqual(asApi(await repository.monthlyCost(q, old, 'provider')));
    expect((await t.pool.query(`SELECT 1 FROM monthly_cost_rollup_months WHERE month = $1`, [old])).rowCount).toBe(0);
  });
});
