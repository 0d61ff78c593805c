import { Database } from '../database/database.service';
import { Injectable } from '@nestjs/common';
import type { Page } from '../common/pagination';
import { toCsv } from '../reports/csv';
import { ExportsRepository } from './exports.repository';
import { ALLOCATION_COLUMNS, LEASE_COLUMNS } from './import-rows';

/** Every page of a list, read in creation order (a page at a time: no cursor held open). */
export async function allPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

interface ExportableLease {
  prefix: string;
  lessorId: string;
  startDate: string;
  endDate: string | null;
  autoRenew: boolean;
  renewalTermMonths: number;
  noticePeriodDays: number;
  pricePerIpMonthly: string;
  currency: string;
  contractRef: string | null;
  originAsn: number | null;
  tags: string[];
}

interface ExportableAllocation {
  prefix: string;
  regionId: string;
  providerId: string;
  effectiveDate?: string | null;
  name: string | null;
  description: string | null;
  tags: string[];
  originAsn: number | null;
}

/** CSV exports in exactly the import columns, so export → import round-trips. */
@Injectable()
export class ExportsService {
  constructor(
    private readonly labels: ExportsRepository,
    private readonly db: Database,
  ) {}

  async leasesCsv(leases: ExportableLease[]): Promise<string> {
    const lessors = new Map(
      (await this.labels.lessors(this.db, [...new Set(leases.map((l) => l.lessorId))])).map((l) => [l.id, l]),
    );
    return toCsv(
      LEASE_COLUMNS,
      leases.map((l) => ({
        prefix: l.prefix,
        lessor: lessors.get(l.lessorId)?.name ?? '',
        rir: lessors.get(l.lessorId)?.rir ?? '',
        startDate: l.startDate,
        endDate: l.endDate,
        autoRenew: String(l.autoRenew),
        renewalTermMonths: l.renewalTermMonths,
        noticePeriodDays: l.noticePeriodDays,
        pricePerIpMonthly: l.pricePerIpMonthly,
        currency: l.currency,
        contractRef: l.contractRef,
        originAsn: l.originAsn,
        tags: l.tags.join(';'),
      })),
    );
  }

  async allocationsCsv(allocations: ExportableAllocation[]): Promise<string> {
    const regions = new Map(
      (await this.labels.regionCodes(this.db, [...new Set(allocations.map((a) => a.regionId))])).map((r) => [
        r.id,
        r.code,
      ]),
    );
    const providers = new Map(
      (await this.labels.providerCodes(this.db, [...new Set(allocations.map((a) => a.providerId))])).map((p) => [
        p.id,
        p.code,
      ]),
    );
    return toCsv(
      ALLOCATION_COLUMNS,
      allocations.map((a) => ({
        prefix: a.prefix,
        region: regions.get(a.regionId) ?? '',
        provider: providers.get(a.providerId) ?? '',
        effectiveDate: a.effectiveDate ?? null,
        name: a.name,
        description: a.description,
        tags: a.tags.join(';'),
        originAsn: a.originAsn,
      })),
    );
  }
}
