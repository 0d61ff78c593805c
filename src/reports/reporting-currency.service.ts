import { Injectable } from '@nestjs/common';
import { FxService } from '../fx/fx.service';
import { convert, crossRate, minusCents, sumCents } from '../fx/fx-math';
import type { MonthlyCostReportDto } from './dto/report.dto';
import { daysInMonth } from './reports.service';

/**
 * Monthly cost in a reporting currency: every row keeps its own currency and figures and gains
 * the rate used and the converted figures; totals add the converted rows. The rate is the one of
 * the month's last day (or the latest earlier ECB day within 7 days), crossed through EUR.
 */
@Injectable()
export class ReportingCurrencyService {
  constructor(private readonly fx: FxService) {}

  async monthlyCost(report: MonthlyCostReportDto, reportingCurrency: string): Promise<MonthlyCostReportDto> {
    const lastDay = `${report.month}-${String(daysInMonth(report.month)).padStart(2, '0')}`;
    const rates = await this.fx.ratesOn(
      lastDay,
      report.rows.map((r) => r.currency),
      reportingCurrency,
    );
    const rows = report.rows.map((row) => {
      const rate = rates.get(row.currency);
      if (!rate) throw new Error(`no rate resolved for ${row.currency}`);
      const inReporting = (amount: string) => convert(amount, rate.fromPerEur, rate.toPerEur);
      const costReporting = inReporting(row.cost);
      const allocatedCostReporting = inReporting(row.allocatedCost);
      return {
        ...row,
        fxRate: crossRate(rate.fromPerEur, rate.toPerEur),
        fxRateDate: rate.rateDate,
        costReporting,
        allocatedCostReporting,
        // Converted once each, so a row's reporting figures add up like its own ones do.
        idleCostReporting: minusCents(costReporting, allocatedCostReporting),
      };
    });
    return {
      ...report,
      reportingCurrency,
      rows,
      totals: {
        reportingCurrency,
        cost: sumCents(rows.map((r) => r.costReporting)),
        allocatedCost: sumCents(rows.map((r) => r.allocatedCostReporting)),
        idleCost: sumCents(rows.map((r) => r.idleCostReporting)),
      },
    };
  }
}
