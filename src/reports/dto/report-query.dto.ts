import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsCurrencyCode } from '../../common/currency';
import { toIntegerOrRaw } from '../../common/pagination';

export const REPORT_FORMATS = ['json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const COST_GROUPS = ['lessor', 'provider', 'region', 'lease'] as const;
export type CostGroup = (typeof COST_GROUPS)[number];

/** A calendar month from 1900-01 to 9999-12. */
export const MONTH_PATTERN = /^(19\d\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/;
const MONTH_MESSAGE = (field: string) =>
  `${field} must be a calendar month YYYY-MM (month 01-12, year 1900-9999), like 2026-05`;

export class FormatQuery {
  @ApiPropertyOptional({
    enum: REPORT_FORMATS,
    description: 'Overrides the Accept header: `csv` answers text/csv with the same columns as the JSON rows.',
  })
  @IsOptional()
  @IsIn(REPORT_FORMATS, { message: 'format must be json or csv' })
  format?: ReportFormat;
}

export class MonthlyCostQuery extends FormatQuery {
  @ApiProperty({ example: '2026-05', pattern: MONTH_PATTERN.source, description: 'The calendar month (UTC).' })
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE('month') })
  month: string;

  @ApiPropertyOptional({ enum: COST_GROUPS, default: 'lessor' })
  @IsOptional()
  @IsIn(COST_GROUPS, { message: `groupBy must be one of ${COST_GROUPS.join(', ')}` })
  groupBy?: CostGroup;

  @ApiPropertyOptional({
    example: 'EUR',
    description:
      'ISO 4217. Adds to every row the rate into this currency and the converted figures, and `totals` over all rows. ' +
      'Rates are ECB reference rates of the month’s last day (or the latest earlier day within 7 days); otherwise 422 FX_RATE_MISSING.',
  })
  @IsOptional()
  @IsCurrencyCode()
  reportingCurrency?: string;
}

export class RenewalsQuery extends FormatQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 3650,
    default: 90,
    description: 'Window length in days: today (UTC) to today + withinDays, inclusive.',
  })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'withinDays must be an integer from 0 to 3650' })
  @Min(0, { message: 'withinDays must be an integer from 0 to 3650' })
  @Max(3650, { message: 'withinDays must be an integer from 0 to 3650' })
  withinDays?: number;
}

export class UtilizationQuery extends FormatQuery {
  @ApiPropertyOptional({ enum: COST_GROUPS, default: 'lessor' })
  @IsOptional()
  @IsIn(COST_GROUPS, { message: `groupBy must be one of ${COST_GROUPS.join(', ')}` })
  groupBy?: CostGroup;
}

export class ForecastQuery extends FormatQuery {
  @ApiPropertyOptional({
    example: '2026-05',
    pattern: MONTH_PATTERN.source,
    description: 'First month of the forecast; default: the current month (UTC).',
  })
  @IsOptional()
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE('from') })
  from?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 60, default: 12 })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'months must be an integer from 1 to 60' })
  @Min(1, { message: 'months must be an integer from 1 to 60' })
  @Max(60, { message: 'months must be an integer from 1 to 60' })
  months?: number;
}
