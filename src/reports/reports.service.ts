import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { countStrandedAllocationsWith } from '../health/metrics';
import { ValidationFailed } from '../errors/domain-errors';
import {
  ForecastReportDto,
  MonthlyCostReportDto,
  MonthlyCostRowDto,
  RenewalsReportDto,
  StrandedReportDto,
  UtilizationReportDto,
} from './dto/report.dto';
import type {
  CostGroup,
  ForecastQuery,
  MonthlyCostQuery,
  RenewalsQuery,
  UtilizationQuery,
} from './dto/report-query.dto';
import { Database } from '../database/database.service';
import { ReadDatabase } from '../database/read-database.service';
import { MonthlyCostRow, ReportsRepository } from './reports.repository';

export const DEFAULT_WITHIN_DAYS = 90;
export const DEFAULT_FORECAST_MONTHS = 12;

export function daysInMonth(month: string): number {
  const [year, m] = month.split('-').map(Number);
  return new Date(Date.UTC(year, m, 0)).getUTCDate();
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The monthly-cost report without its rows, its fields in the order the JSON answer lists them. */
function monthlyCostHeading(month: string, groupBy: CostGroup, closed: boolean): Omit<MonthlyCostReportDto, 'rows'> {
  return { month, groupBy, daysInMonth: daysInMonth(month), closed };
}

function toMonthlyCostRowDto(r: MonthlyCostRow): MonthlyCostRowDto {
  return {
    key: r.key,
    label: r.label,
    currency: r.currency,
    addresses: r.addresses,
    cost: r.cost,
    allocatedAddresses: r.allocated_addresses,
    allocatedCost: r.allocated_cost,
    idleAddresses: r.idle_addresses,
    idleCost: r.idle_cost,
  };
}

/** Reports map SQL aggregates to rows; the arithmetic is all in ReportsRepository. */
@Injectable()
export class ReportsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Reports');
  /** A month being rolled up in the background (one at a time per instance), awaited on shutdown. */
  private building: Promise<void> | undefined;

  /**
   * Every report is a read: it may come from a replica (ReadDatabase). The monthly-cost rollup is
   * kept on the primary (Database).
   */
  constructor(
    private readonly reports: ReportsRepository,
    private readonly reads: ReadDatabase,
    private readonly db: Database,
  ) {}

  onModuleInit(): void {
    countStrandedAllocationsWith(() => this.reports.strandedCount(this.reads));
  }

  async onModuleDestroy(): Promise<void> {
    countStrandedAllocationsWith(undefined);
    await this.building;
  }

  /**
   * The month's rows, from the figures frozen at close when the month is closed, computed live
   * otherwise. The one entry point for anything that builds on monthly cost (FX, reconciliation).
   */
  async monthlyCostRows(month: string, groupBy: CostGroup): Promise<{ closed: boolean; rows: MonthlyCostRow[] }> {
    const monthStart = `${month}-01`;
    const frozen = await this.reports.frozenMonthlyCost(this.reads, monthStart, groupBy);
    if (frozen.closed && frozen.rows) return { closed: true, rows: frozen.rows };
    const rows = (await this.prepareRollup(monthStart))
      ? await this.reports.monthlyCostRolledUp(this.reads, monthStart, groupBy)
      : await this.reports.monthlyCost(this.reads, monthStart, groupBy);
    return { closed: frozen.closed, rows };
  }

  /**
   * On the primary: drops rolled-up months that left the window or were closed, and recomputes the
   * buckets the stale log names. Answers whether the month is one the rollup serves. A month not
   * rolled up yet is rolled up in the background (7–20 s at 100k leases), so no request waits for
   * it: until it is done, the rolled-up query computes every bucket live, which is exact anyway, as
   * it is when another request holds the rollup and this one does not wait for it.
   */
  private async prepareRollup(monthStart: string): Promise<boolean> {
    const state = await this.db.transaction(async (tx) => {
      const locked = await this.reports.lockRollup(tx, false);
      const found = await this.reports.rollupState(tx, monthStart);
      if (!locked) return found;
      await this.reports.evictRollupMonths(tx);
      for (const { month, buckets } of await this.reports.consumeStale(tx)) {
        await this.reports.refreshRollup(tx, month, buckets);
      }
      return found;
    });
    if (state.eligible && !state.built && !this.building) {
      this.building = this.buildRollup(monthStart).finally(() => (this.building = undefined));
    }
    return state.eligible;
  }

  private async buildRollup(monthStart: string): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        if (!(await this.reports.lockRollup(tx, false))) return;
        const state = await this.reports.rollupState(tx, monthStart);
        if (state.eligible && !state.built) await this.reports.buildRollup(tx, monthStart);
      });
    } catch (error) {
      this.logger.warn(
        `rolling up ${monthStart} failed, it is computed live until a later request rolls it up: ${String(error)}`,
      );
    }
  }

  async monthlyCost(query: MonthlyCostQuery): Promise<MonthlyCostReportDto> {
    const groupBy = query.groupBy ?? 'lessor';
    const { closed, rows } = await this.monthlyCostRows(query.month, groupBy);
    return { ...monthlyCostHeading(query.month, groupBy, closed), rows: rows.map(toMonthlyCostRowDto) };
  }

  /**
   * The monthly-cost report as the JSON text JSON.stringify gives monthlyCost's answer, byte for
   * byte. An open month's rows are written as JSON by PostgreSQL: at 100k rows (by lease), parsing
   * them into objects and serialising them again took longer than the query (docs/benchmarks.md).
   */
  async monthlyCostJson(query: MonthlyCostQuery): Promise<string> {
    const groupBy = query.groupBy ?? 'lessor';
    const monthStart = `${query.month}-01`;
    const frozen = await this.reports.frozenMonthlyCost(this.reads, monthStart, groupBy);
    const heading = monthlyCostHeading(query.month, groupBy, frozen.closed);
    if (frozen.closed && frozen.rows) return JSON.stringify({ ...heading, rows: frozen.rows.map(toMonthlyCostRowDto) });
    const rows = (await this.prepareRollup(monthStart))
      ? await this.reports.monthlyCostRolledUpJson(this.reads, monthStart, groupBy)
      : await this.reports.monthlyCostJson(this.reads, monthStart, groupBy);
    return `${JSON.stringify(heading).slice(0, -1)},"rows":[${rows}]}`;
  }

  async stranded(): Promise<StrandedReportDto> {
    const [asOf, rows] = [await this.reports.today(this.reads), await this.reports.stranded(this.reads)];
    return {
      asOf,
      rows: rows.map((r) => ({
        key: r.id,
        label: r.prefix,
        leaseId: r.lease_id,
        leasePrefix: r.lease_prefix,
        leaseStatus: r.lease_status,
        leaseEndedOn: r.lease_ended_on,
        regionId: r.region_id,
        providerId: r.provider_id,
      })),
    };
  }

  async renewals(query: RenewalsQuery): Promise<RenewalsReportDto> {
    const withinDays = query.withinDays ?? DEFAULT_WITHIN_DAYS;
    const today = await this.reports.today(this.reads);
    const rows = await this.reports.renewals(this.reads, today, withinDays);
    return {
      withinDays,
      asOf: today,
      until: addDays(today, withinDays),
      rows: rows.map((r) => ({
        key: r.id,
        label: r.prefix,
        currency: r.currency,
        prefix: r.prefix,
        lessorId: r.lessor_id,
        lessor: r.lessor,
        action: r.auto_renew ? 'cancel-before-auto-renewal' : 'renew',
        autoRenew: r.auto_renew,
        noticePeriodDays: r.notice_period_days,
        noticeDeadline: r.notice_deadline,
        currentTermEnd: r.current_term_end,
        daysToNoticeDeadline: r.days_to_notice_deadline,
        daysToTermEnd: r.days_to_term_end,
        monthlyCost: r.monthly_cost,
      })),
    };
  }

  async utilization(query: UtilizationQuery): Promise<UtilizationReportDto> {
    const groupBy = query.groupBy ?? 'lessor';
    const today = await this.reports.today(this.reads);
    const rows = await this.reports.utilization(this.reads, today, groupBy);
    return {
      groupBy,
      asOf: today,
      rows: rows.map((r) => ({
        key: r.key,
        label: r.label,
        currency: r.currency,
        leasedAddresses: Number(r.leased),
        allocatedAddresses: Number(r.allocated),
        freeAddresses: Number(r.free),
        utilization: r.utilization,
        shareOfLeased: r.share,
        monthlyCost: r.monthly_cost,
        idleMonthlyCost: r.idle_monthly_cost,
      })),
    };
  }

  async forecast(query: ForecastQuery): Promise<ForecastReportDto> {
    const from = query.from ?? (await this.reports.today(this.reads)).slice(0, 7);
    const months = query.months ?? DEFAULT_FORECAST_MONTHS;
    const [year, month] = from.split('-').map(Number);
    const lastMonthIndex = year * 12 + (month - 1) + months - 1;
    if (lastMonthIndex > 9999 * 12 + 11) {
      throw ValidationFailed.field(
        'months',
        `months reaches past 9999-12 from ${from}; at most ${9999 * 12 + 11 - (year * 12 + month - 1) + 1} month(s) fit`,
      );
    }
    const rows = await this.reports.forecast(this.reads, `${from}-01`, months);
    return {
      from,
      months,
      rows: rows.map((r) => ({
        key: r.month,
        label: r.month,
        currency: r.currency,
        leases: r.leases,
        addresses: r.addresses,
        cost: r.cost,
      })),
    };
  }
}
