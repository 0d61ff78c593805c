import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow, READ_FINANCE } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import {
  FORECAST_COLUMNS,
  ForecastReportDto,
  MONTHLY_COST_COLUMNS,
  MONTHLY_COST_REPORTING_COLUMNS,
  MonthlyCostReportDto,
  MonthlyCostRowDto,
  RENEWAL_COLUMNS,
  RenewalsReportDto,
  STRANDED_COLUMNS,
  StrandedReportDto,
  UTILIZATION_COLUMNS,
  UtilizationReportDto,
} from './dto/report.dto';
import { FormatQuery, ForecastQuery, MonthlyCostQuery, RenewalsQuery, UtilizationQuery } from './dto/report-query.dto';
import { ApiReport } from './api-report';
import { negotiateFormat, sendReport } from './report-response';
import { ReportingCurrencyService } from './reporting-currency.service';
import { ReportsService } from './reports.service';

@ApiTags('Reports')
@ApiBearerAuth()
@Controller('api/v1/reports')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly reportingCurrency: ReportingCurrencyService,
  ) {}

  @Get('monthly-cost')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'monthlyCostReport',
    summary: 'What the leased space cost in a month, per group and currency',
    description:
      'Cost of a lease in a month = pricePerIpMonthly × addresses × (days of the month inside its term ÷ days in the month). ' +
      "Allocations count from the UTC day of their creation through the day before the UTC day of their release, clipped to the lease's days. " +
      'By lessor or lease: the whole lease cost, split into allocated and idle. By provider or region: each group gets the cost of the address-days allocated to it; ' +
      "the rest of every lease's cost is the row with key `unallocated`. Address figures are address-months. Each figure is rounded to cents once; idle = total − allocated. " +
      'Currencies are never summed together. ' +
      'With `reportingCurrency`: each row keeps its currency and gains `fxRate`, `fxRateDate`, `costReporting`, `allocatedCostReporting`, `idleCostReporting`, ' +
      'and `totals` adds the converted rows (CSV: those five columns follow the others). The rate is the ECB reference rate of the month’s last day, ' +
      'or of the latest earlier day that has one within 7 days (no weekend rows at ECB), crossed through EUR; none → 422 FX_RATE_MISSING naming currency and day.',
  })
  @ApiReport(MonthlyCostReportDto, MONTHLY_COST_COLUMNS, 'monthly-cost-2026-05-provider.csv')
  @ApiProblems(422)
  async monthlyCost(@Query() query: MonthlyCostQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    if (format === 'json' && !query.reportingCurrency) {
      // Written as JSON text by the service (rows built in PostgreSQL); the same bytes Nest would send.
      res.setHeader('Vary', 'Accept');
      res.type('application/json');
      return this.reports.monthlyCostJson(query);
    }
    const ownCurrency = await this.reports.monthlyCost(query);
    const report = query.reportingCurrency
      ? await this.reportingCurrency.monthlyCost(ownCurrency, query.reportingCurrency)
      : ownCurrency;
    const columns: readonly (keyof MonthlyCostRowDto)[] = query.reportingCurrency
      ? MONTHLY_COST_REPORTING_COLUMNS
      : MONTHLY_COST_COLUMNS;
    return sendReport<MonthlyCostReportDto, MonthlyCostRowDto>(res, format, report, {
      columns,
      filename: `monthly-cost-${report.month}-${report.groupBy}${query.reportingCurrency ? `-${query.reportingCurrency}` : ''}.csv`,
    });
  }

  @Get('renewals')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'renewalsReport',
    summary: 'Leases whose term end or notice deadline falls within the next days',
    description:
      'Leases (not terminated) whose current term end, or notice deadline (currentTermEnd − noticePeriodDays), falls between today and today + withinDays (UTC, inclusive); ' +
      'soonest notice deadline first. `renew`: the lease ends unless renewed. `cancel-before-auto-renewal`: give notice by noticeDeadline to stop the renewal ' +
      '(daysToNoticeDeadline is negative once that chance has passed for the running term).',
  })
  @ApiReport(RenewalsReportDto, RENEWAL_COLUMNS, 'renewals-2026-05-01.csv')
  async renewals(@Query() query: RenewalsQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    const report = await this.reports.renewals(query);
    return sendReport(res, format, report, { columns: RENEWAL_COLUMNS, filename: `renewals-${report.asOf}.csv` });
  }

  @Get('utilization')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'utilizationReport',
    summary: 'Leased vs allocated addresses today, per group and currency',
    description:
      'Leases active today (UTC) and their active allocations, in whole addresses. By lessor or lease: each row is a set of leases. ' +
      'By provider or region: each row is the space allocated to the group (utilization 1), and the row `unallocated` is the free rest; ' +
      "shareOfLeased says which part of the currency's leased space a row is.",
  })
  @ApiReport(UtilizationReportDto, UTILIZATION_COLUMNS, 'utilization-2026-05-01.csv')
  async utilization(@Query() query: UtilizationQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    const report = await this.reports.utilization(query);
    return sendReport(res, format, report, {
      columns: UTILIZATION_COLUMNS,
      filename: `utilization-${report.groupBy}-${report.asOf}.csv`,
    });
  }

  @Get('stranded')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'strandedReport',
    summary: 'Stranded space: active allocations whose lease term has ended',
    description:
      'The space is in use (announced) but no longer leased. Renew the lease (POST /leases/{id}/renew), move the allocation to a successor ' +
      'lease (POST /allocations/{id}/move), or release it. Longest stranded first.',
  })
  @ApiReport(StrandedReportDto, STRANDED_COLUMNS, 'stranded-2026-05-01.csv')
  async stranded(@Query() query: FormatQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    const report = await this.reports.stranded();
    return sendReport(res, format, report, { columns: STRANDED_COLUMNS, filename: `stranded-${report.asOf}.csv` });
  }

  @Get('forecast')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'forecastReport',
    summary: 'Committed cost per month and currency',
    description:
      "For each month from `from` (default: this month) and each currency: the cost of every lease's term in that month, pro rata by days, as in monthly-cost. " +
      'Auto-renewing and open-ended leases continue; terminated leases stop at their termination date; leases that start later count from their start. ' +
      'Every month gets a row for every currency that appears in the window (0.00 when nothing is committed).',
  })
  @ApiReport(ForecastReportDto, FORECAST_COLUMNS, 'forecast-2026-05-12m.csv')
  async forecast(@Query() query: ForecastQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    const report = await this.reports.forecast(query);
    return sendReport(res, format, report, {
      columns: FORECAST_COLUMNS,
      filename: `forecast-${report.from}-${report.months}m.csv`,
    });
  }
}
