/**
 * Time at scale: monthly cost with allocation history and amendments over the read dataset
 * (100k leases / 1M allocations, seeded by bench/read-latency.ts), closing months, and a closed
 * month's report. Targets: monthly cost by provider < 1 s; closing one month < 10 s; a closed
 * month's report < 50 ms.
 *
 * The history: bulk-seeded rows skip triggers (session_replication_role = replica), so missing
 * original terms and history periods are backfilled first. Then a fifth of the leases get a price
 * amendment on the 15th of last month and a fifth of the active allocations move to another
 * provider on the 10th, so last month's report splits days between periods and terms.
 */
import type { Benchmark, Target } from './lib/benchmark';
import { backfillHistory } from './lib/history';
import { ceilingTarget } from './lib/report';
import { sequential, summarise } from './lib/stats';

function monthStart(k: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1)).toISOString().slice(0, 10);
}

export const benchmark: Benchmark = {
  name: 'time',
  title: 'Monthly cost with history; closing months',
  async run(ctx) {
    const size = async () =>
      (
        await ctx.db.query<{ leases: number; allocations: number; history: number }>(
          `SELECT (SELECT count(*)::int FROM leases) AS leases, (SELECT count(*)::int FROM allocations) AS allocations,
                  (SELECT count(*)::int FROM allocation_history) AS history`,
        )
      ).rows[0];
    // The read dataset (--read-leases / --read-allocations; 100k / 1M by default, smaller for a quick run).
    if ((await size()).allocations < 1_000) {
      throw new Error('the time benchmark runs on the read dataset: run it with --only=reads,time (or the full run)');
    }
    const closed = await ctx.db.query<{ through: string | null }>(`SELECT period_closed_through() AS through`);
    if (closed.rows[0].through !== null) throw new Error('months are already closed in this database');

    const lastMonth = monthStart(1);
    const c = await ctx.db.connect();
    try {
      const t0 = Date.now();
      await c.query(`SET session_replication_role = replica`);
      await c.query(`SET maintenance_work_mem = '256MB'`);
      await backfillHistory(c);
      await c.query(
        `INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note)
         SELECT id, $1::date + 14, price_per_ip_monthly * 1.1, currency, 'bench: indexation' FROM leases
          WHERE seq % 5 = 0 AND start_date < $1::date
         ON CONFLICT ON CONSTRAINT lease_amendments_lease_day_key DO NOTHING`,
        [lastMonth],
      );
      const providers = (await c.query<{ ids: string[] }>(`SELECT array_agg(id ORDER BY seq) AS ids FROM providers`))
        .rows[0].ids;
      await c.query(
        `WITH cut AS (
           UPDATE allocation_history h SET valid = daterange(lower(h.valid), $1::date + 9)
             FROM allocations a
            WHERE a.id = h.allocation_id AND a.seq % 5 = 0 AND upper_inf(h.valid) AND lower(h.valid) < $1::date + 9
           RETURNING h.allocation_id, h.lease_id, h.region_id, h.provider_id, h.prefix)
         INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
         SELECT allocation_id, lease_id, region_id, ($2::uuid[])[1 + (array_position($2::uuid[], provider_id) % cardinality($2::uuid[]))],
                prefix, daterange($1::date + 9, NULL)
           FROM cut`,
        [lastMonth, providers],
      );
      await c.query(`SET session_replication_role = DEFAULT`);
      await c.query(`VACUUM ANALYZE lease_amendments`);
      await c.query(`VACUUM ANALYZE allocation_history`);
      ctx.log(`  history and amendments prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await c.query(`RESET session_replication_role`).catch(() => undefined);
      c.release();
    }
    const n = await size();
    const amendments = (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lease_amendments`)).rows[0].n;
    const scale = `${n.leases.toLocaleString('en-US')} leases (${amendments.toLocaleString('en-US')} amendments), ${n.allocations.toLocaleString('en-US')} allocations (${n.history.toLocaleString('en-US')} history periods)`;
    const month = lastMonth.slice(0, 7);

    const timeGet = async (url: string, samples: number) => {
      let rows = 0;
      const latencies = await sequential(samples, 2, async () => {
        const res = await ctx.http.get<{ rows: unknown[] }>(url);
        if (res.status !== 200)
          throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
        rows = res.body.rows.length;
      });
      return { ...summarise(latencies), rows };
    };
    const live = await timeGet(`/api/v1/reports/monthly-cost?month=${month}&groupBy=provider`, 10);
    ctx.record({
      key: 'time.monthlyCost.provider.p50',
      metric: `monthly-cost by provider (${month}, open), p50`,
      value: live.p50,
      unit: 'ms',
      note: `${scale}; 1 client, ${live.count} sequential; ${live.rows} rows`,
    });

    const close = async (through: string) => {
      const t0 = process.hrtime.bigint();
      const res = await ctx.http.post(`/api/v1/periods/close`, { through });
      if (res.status !== 200) throw new Error(`close ${through} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const first = (
      await ctx.db.query<{ first: string }>(`SELECT to_char(min(lower(term)), 'YYYY-MM') AS first FROM leases`)
    ).rows[0].first;
    const all = await close(monthStart(2).slice(0, 7));
    ctx.record({
      key: 'time.close.initial',
      metric: `close every month from ${first} through ${monthStart(2).slice(0, 7)} (first close)`,
      value: all,
      unit: 'ms',
      note: `${scale}; 4 groupings frozen per month`,
    });
    const one = await close(month);
    ctx.record({
      key: 'time.close.oneMonth',
      metric: `close one more month (${month})`,
      value: one,
      unit: 'ms',
      note: `${scale}; 4 groupings frozen`,
    });
    const frozen = await timeGet(`/api/v1/reports/monthly-cost?month=${month}&groupBy=provider`, 50);
    ctx.record({
      key: 'time.closedReport.p50',
      metric: `monthly-cost by provider (${month}, closed), p50`,
      value: frozen.p50,
      unit: 'ms',
      note: `1 client, ${frozen.count} sequential; ${frozen.rows} rows`,
    });
  },
};

export const targets: Target[] = [
  ceilingTarget(
    'monthly-cost by provider with history p50 < 1 s (100k leases / 1M allocations)',
    'time.monthlyCost.provider.p50',
    1000,
  ),
  ceilingTarget('closing a month < 10 s (100k leases / 1M allocations)', 'time.close.oneMonth', 10_000),
  ceilingTarget('a closed month’s report p50 < 50 ms', 'time.closedReport.p50', 50),
];
