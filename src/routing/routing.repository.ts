import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';

/**
 * RFC 6811 origin validation over a relation `r(prefix cidr, origin bigint)`: the VRPs covering
 * the route (`v.prefix >>= r.prefix`)
 * (the SP-GiST inet_ops index rpki_vrps_prefix_covering_idx, index-only), whether one of them matches (same ASN, maxLength ≥ route length; an AS0 VRP never matches),
 * whether any has the route's ASN (to tell `as` from `length`), and the ASNs any covering VRP
 * authorises for this length (BYOIP readiness).
 */
const ORIGIN_VALIDATION = `
  LEFT JOIN LATERAL (
    SELECT count(*) AS covering,
           coalesce(bool_or(v.asn = r.origin AND v.asn <> 0 AND v.max_length >= masklen(r.prefix)), false) AS matched,
           coalesce(bool_or(v.asn = r.origin), false) AS has_asn,
           coalesce(jsonb_agg(jsonb_build_object('asn', v.asn, 'prefix', v.prefix::text, 'maxLength', v.max_length)
                              ORDER BY v.prefix, v.asn, v.max_length), '[]') AS vrps,
           coalesce(array_agg(DISTINCT v.asn) FILTER (WHERE v.asn <> 0 AND v.max_length >= masklen(r.prefix)), '{}') AS authorised
      FROM rpki_vrps v WHERE v.prefix >>= r.prefix) rov ON true`;

const ORIGIN_STATE = `CASE WHEN r.origin IS NULL THEN 'unknown-origin' WHEN rov.covering = 0 THEN 'not-found'
                           WHEN rov.matched THEN 'valid' ELSE 'invalid' END`;
const INVALID_REASON = `CASE WHEN r.origin IS NOT NULL AND rov.covering > 0 AND NOT rov.matched
                             THEN CASE WHEN rov.has_asn THEN 'length' ELSE 'as' END END`;

/**
 * The reputation-list blocks overlapping `r.prefix` (either contains the other), as a jsonb list,
 * for allocations `a` matching `where`. Which allocations overlap a listed block at all is found
 * once, from the entries' side (one probe of the allocations' SP-GiST prefix index per listed
 * block; a DROP list has about 1,500) into a hashed set; only those allocations then read their
 * blocks. One probe of the entries' GiST index per allocation took about a third of the routing
 * report at 100k+ allocations (docs/benchmarks.md).
 */
const listedSql = (where: string) => `
  CASE WHEN r.id IN (SELECT a.id FROM reputation_entries e
                      CROSS JOIN LATERAL (SELECT a.id FROM allocations a WHERE a.prefix && e.cidr AND ${where} OFFSET 0) a)
       THEN (SELECT jsonb_agg(jsonb_build_object('list', e.list_name, 'cidr', e.cidr::text, 'ref', e.ref) ORDER BY e.list_name, e.cidr)
               FROM reputation_entries e WHERE e.cidr && r.prefix)
       ELSE '[]'::jsonb END`;

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
         ${ORIGIN_VALIDATION}
        ORDER BY r.n`,
      [routes.map((r) => r.prefix), routes.map((r) => r.origin)],
    );
  }

  /**
   * One row per active allocation: origin validation, the provider's BYOIP inputs, listed space.
   * A whole inventory (100k allocations) takes longer than the API's usual statement limit.
   */
  async report(tx: Queryable, filter: { leaseId?: string; providerId?: string }): Promise<RoutingRow[]> {
    await tx.query(`SET LOCAL statement_timeout = '120s'`);
    // Room for the set of listed allocations as a hashed subplan (its size is estimated from the
    // entries times a guess per entry, far above what it holds).
    await tx.query(`SET LOCAL work_mem = '64MB'`);
    const params: unknown[] = [];
    const where = [`a.status = 'active'`];
    if (filter.leaseId) where.push(`a.lease_id = $${params.push(filter.leaseId)}`);
    if (filter.providerId) where.push(`a.provider_id = $${params.push(filter.providerId)}`);
    return tx.query(
      `SELECT r.id, r.prefix::text AS prefix, r.name, r.lease_id, r.provider_id, r.region_id, r.origin,
              p.code AS provider_code, p.min_prefix_length, p.max_prefix_length, p.required_origin_asns,
              ${ORIGIN_STATE} AS state, ${INVALID_REASON} AS invalid_reason, rov.vrps, rov.authorised, ${listedSql(where.join(' AND '))} AS listed
         FROM (SELECT a.id, a.seq, a.prefix, a.name, a.lease_id, a.provider_id, a.region_id, a.origin_asn AS origin
                 FROM allocations a WHERE ${where.join(' AND ')}) r
         JOIN providers p ON p.id = r.provider_id
         ${ORIGIN_VALIDATION}
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
