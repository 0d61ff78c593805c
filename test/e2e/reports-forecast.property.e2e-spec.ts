import fc from 'fast-check';
import { Pool } from 'pg';
import { ReportsRepository } from '../../src/reports/reports.repository';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

/**
 * The forecast query (one row per lease and terms, joined to the months it overlaps; a lease
 * counted by its first segment in a month and currency) against the query it replaced (a row per
 * lease, month and terms, count(DISTINCT lease)), kept here verbatim as the reference: random
 * leases (fixed, open-ended, auto-renewing, terminated) with random amendments of price and
 * currency give the same rows, byte for byte, for random windows.
 */
const REFERENCE = `
  WITH months AS (
    SELECT m::date AS first, (m + interval '1 month')::date AS next
      FROM generate_series($1::date::timestamp, $1::date::timestamp + make_interval(months => $2::int - 1), interval '1 month') AS m
  ),
  terms AS (
    SELECT am.lease_id, am.currency::text AS currency, am.price_per_ip_monthly AS price,
           CASE WHEN lag(am.effective_date) OVER w IS NULL THEN '-infinity'::date ELSE am.effective_date END AS from_day,
           coalesce(lead(am.effective_date) OVER w, 'infinity'::date) AS until_day
      FROM lease_amendments am
    WINDOW w AS (PARTITION BY am.lease_id ORDER BY am.effective_date)
  ),
  lease_months AS (
    SELECT m.first, l.id AS lease_id, t.currency, t.price, (1::bigint << (32 - masklen(l.prefix))) AS size,
           least(coalesce(upper(l.term), 'infinity'::date), m.next, t.until_day) - greatest(lower(l.term), m.first, t.from_day) AS days
      FROM months m
      JOIN leases l ON l.term && daterange(m.first, m.next)
      JOIN terms t ON t.lease_id = l.id AND t.from_day < m.next AND t.until_day > m.first
     WHERE least(coalesce(upper(l.term), 'infinity'::date), m.next, t.until_day) > greatest(lower(l.term), m.first, t.from_day)
  ),
  currencies AS (SELECT DISTINCT currency FROM lease_months)
  SELECT to_char(m.first, 'YYYY-MM') AS month, c.currency, count(DISTINCT lm.lease_id)::int AS leases,
         round(coalesce(sum(lm.size * lm.days), 0) / (m.next - m.first)::numeric, 2)::text AS addresses,
         round(coalesce(sum(lm.price * lm.size * lm.days), 0) / (m.next - m.first)::numeric, 2)::text AS cost
    FROM months m
   CROSS JOIN currencies c
    LEFT JOIN lease_months lm ON lm.first = m.first AND lm.currency = c.currency
   GROUP BY m.first, m.next, c.currency
   ORDER BY m.first, c.currency`;

const BASE = Date.UTC(2025, 0, 1) / 86_400_000;
const isoDay = (day: number) => new Date((BASE + day) * 86_400_000).toISOString().slice(0, 10);

const leaseArb = fc.record({
  start: fc.integer({ min: 0, max: 600 }),
  length: fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }),
  autoRenew: fc.boolean(),
  terminatedAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  masklen: fc.integer({ min: 22, max: 30 }),
  price: fc.integer({ min: 0, max: 30000 }),
  currency: fc.constantFrom('USD', 'EUR', 'GBP'),
  amendments: fc.array(
    fc.record({
      after: fc.integer({ min: 1, max: 500 }),
      price: fc.integer({ min: 0, max: 30000 }),
      currency: fc.constantFrom('USD', 'EUR', 'GBP'),
    }),
    { maxLength: 4 },
  ),
});

describe('reports: forecast equals the query it replaced', () => {
  let url: string;
  let pool: Pool;
  const repository = new ReportsRepository();
  const q = { query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T };
  let lessorId = '';

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new Pool({ connectionString: url, max: 2 });
    lessorId = (
      await pool.query<{ id: string }>(`INSERT INTO lessors (name, rir) VALUES ('Forecast', 'RIPE') RETURNING id`)
    ).rows[0].id;
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  it('gives the same rows for random leases, amendments and windows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(leaseArb, { minLength: 0, maxLength: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 24 }),
        async (leases, fromMonth, months) => {
          await pool.query('DELETE FROM leases');
          for (const [i, l] of leases.entries()) {
            const id = (
              await pool.query<{ id: string }>(
                `INSERT INTO leases (prefix, lessor_id, start_date, end_date, auto_renew, price_per_ip_monthly, currency, terminated_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
                [
                  `10.${i}.0.0/${l.masklen}`,
                  lessorId,
                  isoDay(l.start),
                  l.length === null ? null : isoDay(l.start + l.length),
                  l.autoRenew && l.length !== null,
                  (l.price / 10000).toFixed(4),
                  l.currency,
                  l.terminatedAfter === null ? null : isoDay(l.start + l.terminatedAfter),
                ],
              )
            ).rows[0].id;
            for (const a of l.amendments) {
              await pool.query(
                `INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency)
                 VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT lease_amendments_lease_day_key DO NOTHING`,
                [id, isoDay(l.start + a.after), (a.price / 10000).toFixed(4), a.currency],
              );
            }
          }
          const from = new Date(Date.UTC(2025, fromMonth, 1)).toISOString().slice(0, 10);
          const expected = (await pool.query(REFERENCE, [from, months])).rows;
          expect(await repository.forecast(q, from, months)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
