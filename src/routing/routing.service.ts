import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { NoOriginAsn, NotFound } from '../errors/domain-errors';
import { RoutingQuery, RoutingReportDto, RoutingRowDto } from './dto/routing.dto';
import { RoutingCsvCells, RoutingRepository, RoutingRow } from './routing.repository';

/** BYOIP readiness: the provider's length range, and for each required ASN a VRP that makes the route valid. */
export function byoipProblems(row: RoutingRow): { ready: boolean | null; problems: string[] } {
  const required = row.required_origin_asns.map(Number);
  if (required.length === 0) return { ready: null, problems: [] };
  const problems: string[] = [];
  const length = Number(row.prefix.split('/')[1]);
  if (length < row.min_prefix_length || length > row.max_prefix_length) {
    problems.push(
      `${row.prefix}: /${length} is outside provider ${row.provider_code}'s range /${row.min_prefix_length} to /${row.max_prefix_length}`,
    );
  }
  const authorised = new Set(row.authorised.map(Number));
  for (const asn of required) {
    if (!authorised.has(asn)) {
      problems.push(
        `AS${asn} is not authorised to originate ${row.prefix}: no VRP for AS${asn} covers it with maxLength ≥ ${length}`,
      );
    }
  }
  return { ready: problems.length === 0, problems };
}

function toRoutingRow(row: RoutingRow): RoutingRowDto {
  const byoip = byoipProblems(row);
  return {
    key: row.id,
    label: row.prefix,
    name: row.name,
    leaseId: row.lease_id,
    providerId: row.provider_id,
    regionId: row.region_id,
    originAsn: row.origin === null ? null : Number(row.origin),
    rpkiState: row.state,
    invalidReason: row.invalid_reason,
    vrps: row.vrps.map((v) => ({ asn: Number(v.asn), prefix: v.prefix, maxLength: v.maxLength })),
    byoipReady: byoip.ready,
    byoipProblems: byoip.problems,
    listed: row.listed,
  };
}

/** The RPSL attribute layout IRR databases print: the name, then values from column 17. */
const rpsl = (attribute: string, value: string) => `${`${attribute}:`.padEnd(16)}${value}`;

@Injectable()
export class RoutingService {
  constructor(
    private readonly db: Database,
    private readonly routing: RoutingRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The report as objects: the reference reportJson and reportCsvCells are tested against. */
  async report(query: RoutingQuery): Promise<RoutingReportDto> {
    // One snapshot for the rows and the VRP timestamp they were validated against.
    const { rows, importedAt } = await this.db.transaction(async (tx) => ({
      importedAt: await this.routing.vrpsImportedAt(tx),
      rows: await this.routing.report(tx, query),
    }));
    return { rpkiImportedAt: importedAt?.toISOString() ?? null, rows: rows.map(toRoutingRow) };
  }

  /**
   * The report as the JSON text JSON.stringify gives report()'s answer, byte for byte, its rows
   * written by PostgreSQL: at 100k allocations, building and serialising them in Node took most of
   * the request (docs/benchmarks.md).
   */
  async reportJson(query: RoutingQuery): Promise<string> {
    const { rows, importedAt } = await this.db.transaction(async (tx) => ({
      importedAt: await this.routing.vrpsImportedAt(tx),
      rows: await this.routing.reportJson(tx, query),
    }));
    return `{"rpkiImportedAt":${JSON.stringify(importedAt?.toISOString() ?? null)},"rows":[${rows}]}`;
  }

  /** The report's CSV cells, as the controller wrote them from report()'s rows. */
  reportCsvCells(query: RoutingQuery): Promise<RoutingCsvCells[]> {
    return this.db.transaction((tx) => this.routing.reportCsvCells(tx, query));
  }

  async routeObject(id: string): Promise<string> {
    const allocation = await this.routing.allocationForRouteObject(this.db, id);
    if (!allocation) throw new NotFound('allocation', id);
    if (allocation.origin_asn === null) {
      throw new NoOriginAsn(`allocation ${id} (${allocation.prefix}) has no originAsn; set one with PATCH first.`);
    }
    const descr = (allocation.name ?? allocation.description ?? `iplease allocation ${id}`).replace(/\s+/g, ' ').trim();
    const lines = [
      rpsl('route', allocation.prefix),
      rpsl('descr', descr.slice(0, 200)),
      rpsl('origin', `AS${allocation.origin_asn}`),
      this.config.irrMaintainer
        ? rpsl('mnt-by', this.config.irrMaintainer)
        : rpsl('remarks', 'mnt-by omitted: IRR_MAINTAINER is not configured'),
      rpsl('source', this.config.irrSource),
    ];
    return `${lines.join('\n')}\n`;
  }
}
