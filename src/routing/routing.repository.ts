import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { ROUTING_COLUMNS } from './dto/routing.dto';

/**
 * RFC 6811 origin validation over a relation `r(prefix cidr, origin bigint)`: the VRPs covering
 * the route (`v.prefix >>= r.prefix`)
 * (the SP-GiST inet_ops index rpki_vrps_prefix_covering_idx, index-only), whether one of them matches (same ASN, maxLength ≥ route length; an AS0 VRP never matches),
 * whether any has the route's ASN (to tell `as` from `length`), and the ASNs any covering VRP
 * authorises for this length (BYOIP readiness). The covering VRPs as `vrps`, written by `vrps`
 * (VRPS_JSONB, VRPS_JSON or VRPS_CELL).
 */
const originValidation = (vrps: string) => `
  LEFT JOIN LATERAL (
    SELECT count(*) AS covering,
           coalesce(bool_or(v.asn = r.origin AND v.asn <> 0 AND v.max_length >= masklen(r.prefix)), false) AS matched,
           coalesce(bool_or(v.asn = r.origin), false) AS has_asn,
           ${vrps} AS vrps,
           coalesce(array_agg(DISTINCT v.asn) FILTER (WHERE v.asn <> 0 AND v.max_length >= masklen(r.prefix)), '{}') AS authorised
      FROM rpki_vrps v WHERE v.prefix >>= r.prefix) rov ON true`;

/** The covering VRPs as jsonb objects {asn, prefix, maxLength}: validate() and the reference report(). */
const VRPS_JSONB = `coalesce(jsonb_agg(jsonb_build_object('asn', v.asn, 'prefix', v.prefix::text, 'maxLength', v.max_length)
                                     ORDER BY v.prefix, v.asn, v.max_length), '[]')`;
/**
 * The covering VRPs as the API's JSON array, written by hand: numbers and a CIDR need no
 * escaping, and the text is what JSON.stringify writes for [{asn, prefix, maxLength}].
 */
const VRPS_JSON = `coalesce('[' || string_agg('{"asn":' || v.asn || ',"prefix":"' || v.prefix::text || '","maxLength":' || v.max_length || '}',
                                              ',' ORDER BY v.prefix, v.asn, v.max_length) || ']', '[]')::json`;
/** The covering VRPs as the CSV cell shows them. */
const VRPS_CELL = `coalesce(string_agg('AS' || v.asn || ' ' || v.prefix::text || ' max ' || v.max_length,
                                       '; ' ORDER BY v.prefix, v.asn, v.max_length), '')`;

const ORIGIN_STATE = `CASE WHEN r.origin IS NULL THEN 'unknown-origin' WHEN rov.covering = 0 THEN 'not-found'
                           WHEN rov.matched THEN 'valid' ELSE 'invalid' END`;
const INVALID_REASON = `CASE WHEN r.origin IS NOT NULL AND rov.covering > 0 AND NOT rov.matched
                             THEN CASE WHEN rov.has_asn THEN 'length' ELSE 'as' END END`;

/**
 * The reputation-list blocks overlapping `r.prefix` (either contains the other), aggregated by
 * `listed` over `e` (LISTED_JSONB, LISTED_JSON or LISTED_CELL), for allocations `a` matching
 * `where`. Which allocations overlap a listed block at all is found once, from the entries' side
 * (one probe of the allocations' SP-GiST prefix index per listed block; a DROP list has about
 * 1,500) into a hashed set; only those allocations then read their blocks. One probe of the
 * entries' GiST index per allocation took about a third of the routing report at 100k+
 * allocations (docs/benchmarks.md).
 */
const listedSql = (where: string, listed: { aggregate: string; none: string }) => `
  CASE WHEN r.id IN (SELECT a.id FROM reputation_entries e
                      CROSS JOIN LATERAL (SELECT a.id FROM allocations a WHERE a.prefix && e.cidr AND ${where} OFFSET 0) a)
       THEN (SELECT ${listed.aggregate} FROM reputation_entries e WHERE e.cidr && r.prefix)
       ELSE ${listed.none} END`;

/** Listed blocks as jsonb objects {list, cidr, ref}: the reference report(). */
const LISTED_JSONB = {
  aggregate: `jsonb_agg(jsonb_build_object('list', e.list_name, 'cidr', e.cidr::text, 'ref', e.ref) ORDER BY e.list_name, e.cidr)`,
  none: `'[]'::jsonb`,
};
/**
 * Listed blocks as JSON, keys in the order jsonb gives them (shorter first), as every other
 * `listed` answer of the API (allocations, leases) and this report before it was written in SQL.
 */
const LISTED_JSON = {
  aggregate: `array_to_json(array_agg((SELECT row_to_json(x) FROM (SELECT e.ref, e.cidr::text AS cidr, e.list_name AS list) x)
                                      ORDER BY e.list_name, e.cidr))`,
  none: `'[]'::json`,
};
/** Listed blocks as the CSV cell shows them: list, block and reference (when there is one). */
const LISTED_CELL = {
  aggregate: `string_agg(e.list_name || ' ' || e.cidr::text || coalesce(' ' || nullif(e.ref, ''), ''), '; ' ORDER BY e.list_name, e.cidr)`,
  none: `''`,
};

/**
 * BYOIP readiness per row in `byoip(ready, problems)`, the messages byoipProblems() writes, in its
 * order: null and none without required ASNs; else the length out of the provider's range, then
 * each required ASN no covering VRP authorises for this length.
 */
const BYOIP = `
  CROSS JOIN LATERAL (
    SELECT CASE WHEN cardinality(p.required_origin_asns) > 0 THEN cardinality(problems) = 0 END AS ready, problems
      FROM (SELECT CASE WHEN cardinality(p.required_origin_asns) > 0
                         AND masklen(r.prefix) NOT BETWEEN p.min_prefix_length AND p.max_prefix_length
                        THEN ARRAY[format('%s: /%s is outside provider %s''s range /%s to /%s',
                                          r.prefix, masklen(r.prefix), p.code, p.min_prefix_length, p.max_prefix_length)]
                        ELSE '{}'::text[] END
                   -- Every required ASN authorised (or none required) skips the per-row subquery.
                   || CASE WHEN p.required_origin_asns <@ rov.authorised THEN '{}'::text[]
                           ELSE ARRAY(SELECT format('AS%s is not authorised to originate %s: no VRP for AS%s covers it with maxLength ≥ %s',
                                                    asn, r.prefix, asn, masklen(r.prefix))
                                        FROM unnest(p.required_origin_asns) WITH ORDINALITY AS required(asn, n)
                                       WHERE asn <> ALL (rov.authorised) ORDER BY n) END AS problems
            OFFSET 0) b) byoip`;

export type RoutingFilter = { leaseId?: string; providerId?: string };

/** A CSV row of the report: each column's cell as text (null for an empty one). */
export type RoutingCsvCells = Record<(typeof ROUTING_COLUMNS)[number], string | null>;

/**
 * The report's settings and its allocations' condition. A whole inventory (100k allocations)
 * takes longer than the API's usual statement limit.
 */
async function prepareReport(tx: Queryable, filter: RoutingFilter): Promise<{ where: string; params: unknown[] }> {
  await tx.query(`SET LOCAL statement_timeout = '120s'`);
  // Room for the set of listed allocations as a hashed subplan (its size is estimated from the
  // entries times a guess per entry, far above what it holds).
  await tx.query(`SET LOCAL work_mem = '64MB'`);
  const params: unknown[] = [];
  const where = [`a.status = 'active'`];
  if (filter.leaseId) where.push(`a.lease_id = $${params.push(filter.leaseId)}`);
  if (filter.providerId) where.push(`a.provider_id = $${params.push(filter.providerId)}`);
  return { where: where.join(' AND '), params };
}

/** The active allocations matching `where` as `r`, their provider `p` and origin validation `rov`. */
const reportFrom = (where: string, vrps: string) => `
  FROM (SELECT a.id, a.seq, a.prefix, a.name, a.lease_id, a.provider_id, a.region_id, a.origin_asn AS origin
          FROM allocations a WHERE ${where}) r
  JOIN providers p ON p.id = r.provider_id
  ${originValidation(vrps)}`;

export interface OriginValidation {
  state: 'valid' | 'invalid' | 'not-found' | 'unknown-origin';
  invalid_reason: 'as' | 'length' | null;
  vrps: { asn: number; prefix: string; maxLength: number }[];
  authorised: string[];
}

export interface RoutingRow extends OriginValidation {
  id: string;
  prefix: string;
  name: string | null;
  lease_id: string;
  provider_id: string;
  region_id: string;
  origin: string | null;
  provider_code: string;
  min_prefix_length: number;
  max_prefix_length: number;
  required_origin_asns: string[];
  listed: { list: string; cidr: string; ref: string | null }[];
}

@Injectable()
export class RoutingRepository {
  /** Origin validation of arbitrary routes, in input order (the property test checks this against the RFC). */
  validate(q: Queryable, routes: { prefix: string; origin: number | null }[]): Promise<OriginValidation[]> {
    return q.query(
      `SELECT ${ORIGIN_STATE} AS state, ${INVALID_REASON} AS invalid_reason, rov.vrps, rov.authorised
         FROM unnest($1::cidr[], $2::bigint[]) WITH ORDINALITY AS r(prefix, origin, n)
         ${originValidation(VRPS_JSONB)}
        ORDER BY r.n`,
      [routes.map((r) => r.prefix), routes.map((r) => r.origin)],
    );
  }

  /**
   * One row per active allocation: origin validation, the provider's BYOIP inputs, listed space.
   * The reference the JSON and CSV texts below are tested against (test/e2e/routing-report-sql.e2e-spec.ts).
   */
  async report(tx: Queryable, filter: RoutingFilter): Promise<RoutingRow[]> {
    const { where, params } = await prepareReport(tx, filter);
    return tx.query(
      `SELECT r.id, r.prefix::text AS prefix, r.name, r.lease_id, r.provider_id, r.region_id, r.origin,
              p.code AS provider_code, p.min_prefix_length, p.max_prefix_length, p.required_origin_asns,
              ${ORIGIN_STATE} AS state, ${INVALID_REASON} AS invalid_reason,
              rov.vrps, rov.authorised, ${listedSql(where, LISTED_JSONB)} AS listed
         ${reportFrom(where, VRPS_JSONB)}
        ORDER BY r.seq`,
      params,
    );
  }

  /**
   * The report's rows as the JSON array's content (no brackets), byte for byte what JSON.stringify
   * writes for report() mapped to the API's rows: at 100k allocations, parsing jsonb per row into
   * objects and serialising them again took longer than the query (docs/benchmarks.md).
   */
  async reportJson(tx: Queryable, filter: RoutingFilter): Promise<string> {
    const { where, params } = await prepareReport(tx, filter);
    // One text per row, joined here: a string_agg would sort the whole text (65 MB at 100k rows).
    const rows = await tx.query<{ row: string }[]>(
      `SELECT row_to_json(j)::text AS row
         ${reportFrom(where, VRPS_JSON)}
         ${BYOIP}
         CROSS JOIN LATERAL (
           SELECT r.id AS key, r.prefix::text AS label, r.name, r.lease_id AS "leaseId", r.provider_id AS "providerId",
                  r.region_id AS "regionId", r.origin AS "originAsn", ${ORIGIN_STATE} AS "rpkiState",
                  ${INVALID_REASON} AS "invalidReason", rov.vrps AS vrps, byoip.ready AS "byoipReady",
                  array_to_json(byoip.problems) AS "byoipProblems", ${listedSql(where, LISTED_JSON)} AS listed) j
        ORDER BY r.seq`,
      params,
    );
    return rows.map((r) => r.row).join(',');
  }

  /** The report's CSV cells, lists joined with `; ` as the CSV shows them (the controller's columns). */
  async reportCsvCells(tx: Queryable, filter: RoutingFilter): Promise<RoutingCsvCells[]> {
    const { where, params } = await prepareReport(tx, filter);
    return tx.query(
      `SELECT r.id AS key, r.prefix::text AS label, r.name, r.origin::text AS "originAsn", ${ORIGIN_STATE} AS "rpkiState",
              ${INVALID_REASON} AS "invalidReason", rov.vrps, coalesce(byoip.ready::text, '') AS "byoipReady",
              array_to_string(byoip.problems, '; ') AS "byoipProblems",
              ${listedSql(where, LISTED_CELL)} AS listed
         ${reportFrom(where, VRPS_CELL)}
         ${BYOIP}
        ORDER BY r.seq`,
      params,
    );
  }

  async vrpsImportedAt(q: Queryable): Promise<Date | undefined> {
    const rows = await q.query<{ imported_at: Date }[]>(`SELECT imported_at FROM rpki_snapshot`);
    return rows[0]?.imported_at;
  }

  async allocationForRouteObject(
    q: Queryable,
    id: string,
  ): Promise<
    { prefix: string; origin_asn: string | null; name: string | null; description: string | null } | undefined
  > {
    const rows = await q.query<
      { prefix: string; origin_asn: string | null; name: string | null; description: string | null }[]
    >(
      `SELECT prefix::text AS prefix, origin_asn, name, description FROM allocations WHERE id = $1 AND status = 'active'`,
      [id],
    );
    return rows[0];
  }
}
