/**
 * Routing hygiene at the size of the real world: a VRP snapshot of 500,000 entries (today's global
 * RPKI, rpki-client JSON, plus IPv6 entries that are counted and skipped) imported over HTTP, then
 * the routing report (RFC 6811 validation per allocation in SQL, BYOIP readiness, listed space)
 * over 100,000 allocations. Targets: the import in < 60 s, the report in < 10 s.
 */
import type { Benchmark, Target } from './lib/benchmark';
import { ceilingTarget } from './lib/report';

export const VRPS = 500_000;
export const IPV6_VRPS = 50_000;
export const REPORT_ALLOCATIONS = 100_000;

/** Deterministic pseudo-random numbers, so every run imports the same file. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** rpki-client JSON: IPv4 ROAs /16–/24 across 1/8–223/8, maxLength up to /24, a few AS0; IPv6 too. */
export function vrpFile(count: number, ipv6: number, cover?: { network: number; length: number }): string {
  const random = lcg(6811);
  const roas: string[] = [];
  if (cover) {
    roas.push(
      `{"asn":16509,"prefix":"${dotted(cover.network)}/${cover.length}","maxLength":28,"ta":"ripe","expires":1796472000}`,
    );
    roas.push(
      `{"asn":14618,"prefix":"${dotted(cover.network)}/${cover.length}","maxLength":24,"ta":"ripe","expires":1796472000}`,
    );
  }
  while (roas.length < count) {
    const length = 16 + Math.floor(random() * 9);
    const network = ((1 + Math.floor(random() * 222)) * 2 ** 24 + Math.floor(random() * 2 ** 24)) >>> 0;
    const aligned = (network - (network % 2 ** (32 - length))) >>> 0;
    const maxLength = Math.min(24, length + Math.floor(random() * 4));
    const asn = random() < 0.01 ? 0 : 1 + Math.floor(random() * 400_000);
    roas.push(
      `{"asn":${asn},"prefix":"${dotted(aligned)}/${length}","maxLength":${Math.max(length, maxLength)},"ta":"ripe","expires":1796472000}`,
    );
  }
  for (let i = 0; i < ipv6; i++) {
    roas.push(
      `{"asn":${1 + i},"prefix":"2001:db8:${(i % 65536).toString(16)}::/48","maxLength":48,"ta":"arin","expires":1796472000}`,
    );
  }
  return `{"metadata":{"buildtime":"2026-11-28T12:00:00Z","vrps":${roas.length}},"roas":[${roas.join(',')}]}`;
}

export const benchmark: Benchmark = {
  name: 'routing',
  title: 'Routing hygiene: 500k-VRP import and the routing report over 100k allocations',
  async run(ctx) {
    const { db, http, world } = ctx;
    // A /11 lease holds 100,000 /28s; seeded in SQL (rows valid by construction, triggers skipped,
    // so the effective date the allocations_default_effective_date trigger would set is given).
    const lease = ctx.takePrefix(11);
    const leaseId = (
      await db.query<{ id: string }>(
        `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency)
         VALUES ($1, $2, '2025-01-01', 0.4, 'USD') RETURNING id`,
        [lease.prefix, world.lessorId],
      )
    ).rows[0].id;
    const provider = (
      await db.query<{ id: string }>(
        `INSERT INTO providers (code, name, max_prefix_length, required_origin_asns)
         VALUES ('bench-byoip', 'BYOIP', 28, '{16509,14618}') RETURNING id`,
      )
    ).rows[0].id;
    const client = await db.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      await client.query(
        `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, origin_asn, name, effective_date)
         SELECT $1, set_masklen(($2::inet + g * 16), 28)::cidr, $3, $4,
                CASE WHEN g % 10 = 0 THEN NULL WHEN g % 7 = 0 THEN 8075 ELSE 16509 END, 'bench-' || g, current_date
           FROM generate_series(0, $5 - 1) g`,
        [leaseId, lease.prefix.split('/')[0], world.regionId, provider, REPORT_ALLOCATIONS],
      );
      await client.query(`DELETE FROM free_blocks WHERE lease_id = $1`, [leaseId]);
    } finally {
      await client.query(`RESET session_replication_role`);
      client.release();
    }
    await db.query(`ANALYZE allocations`);
    await db.query(
      `INSERT INTO reputation_lists (name, format, imported_at, entries, skipped) VALUES ('bench-drop', 'spamhaus-drop-text', now(), 1, 0)`,
    );
    await db.query(
      `INSERT INTO reputation_entries (list_name, cidr, ref) VALUES ('bench-drop', set_masklen($1::inet + 4096, 20)::cidr, 'SBL1')`,
      [lease.prefix.split('/')[0]],
    );

    const body = vrpFile(VRPS - IPV6_VRPS, IPV6_VRPS, { network: lease.network, length: 11 });
    ctx.log(`  VRP file: ${(body.length / 1048576).toFixed(1)} MiB, ${VRPS} entries (${IPV6_VRPS} IPv6)`);
    for (const attempt of ['first', 'replace']) {
      const started = process.hrtime.bigint();
      const res = await http.request<{ vrps: number; skipped: number }>('PUT', '/api/v1/rpki/vrps', JSON.parse(body));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.status !== 200)
        throw new Error(`VRP import answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      ctx.record({
        key: `routing.vrpImport.${attempt}`,
        metric: `PUT /rpki/vrps, ${VRPS.toLocaleString('en')} entries (${attempt === 'first' ? 'empty table' : 'replacing the same set'})`,
        value: ms / 1000,
        unit: 's',
        note: `${res.body.vrps} IPv4 stored, ${res.body.skipped} IPv6 skipped, ${(body.length / 1048576).toFixed(0)} MiB JSON`,
      });
    }
    await db.query(`ANALYZE rpki_vrps`);

    for (const format of ['json', 'csv']) {
      const times: number[] = [];
      const failures: number[] = [];
      let rows = 0;
      for (let i = 0; i < 3; i++) {
        const started = process.hrtime.bigint();
        const res = await http.get<{ rows: unknown[] } | string>(
          `/api/v1/reports/routing?leaseId=${leaseId}&format=${format}`,
        );
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        // Recorded, not thrown: a report slower than the database client's read timeout answers 503.
        if (res.status !== 200) failures.push(res.status);
        else rows = typeof res.body === 'string' ? res.body.trim().split('\r\n').length - 1 : res.body.rows.length;
      }
      times.sort((a, b) => a - b);
      ctx.record({
        key: `routing.report.${format}`,
        metric: `GET /reports/routing (${format}) over ${REPORT_ALLOCATIONS.toLocaleString('en')} allocations, median of 3`,
        value: times[1] / 1000,
        unit: 's',
        note: `${rows} rows; against ${VRPS - IPV6_VRPS} IPv4 VRPs${failures.length ? `; FAILED ${failures.length}/3 (status ${failures.join(', ')})` : ''}`,
      });
    }
  },
};

export const targets: Target[] = [
  ceilingTarget('VRP import of 500,000 entries < 60 s', 'routing.vrpImport.replace', 60),
  ceilingTarget('routing report over 100,000 allocations (JSON) < 10 s', 'routing.report.json', 10),
];
