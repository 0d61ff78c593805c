import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COST_GROUPS } from './report-query.dto';
import type { CostGroup } from './report-query.dto';

const MONEY = { example: '460.80', description: 'Decimal string, rounded to cents once at the end.' };
const ADDRESS_MONTHS = {
  example: '1024.00',
  description: 'Address-months: addresses × (days held in the month ÷ days in the month), 2 decimals.',
};

/** Every report row starts with these: the group's id (or "unallocated"), a readable label and the currency. */
class ReportRowDto {
  @ApiProperty({
    example: '3f1c…',
    description: 'Id of the group (lessor, provider, region or lease), or "unallocated".',
  })
  key: string;
  @ApiProperty({
    example: 'RIPE Lessor Ltd',
    description: 'Lessor name, provider or region code, lease prefix; "unallocated".',
  })
  label: string;
  @ApiProperty({
    example: 'USD',
    description: 'ISO 4217. Currencies are never summed together: one row per group and currency.',
  })
  currency: string;
}

export class MonthlyCostOwnCurrencyRowDto extends ReportRowDto {
  @ApiProperty(ADDRESS_MONTHS) addresses: string;
  @ApiProperty(MONEY) cost: string;
  @ApiProperty(ADDRESS_MONTHS) allocatedAddresses: string;
  @ApiProperty(MONEY) allocatedCost: string;
  @ApiProperty({ ...ADDRESS_MONTHS, description: 'addresses − allocatedAddresses.' }) idleAddresses: string;
  @ApiProperty({ ...MONEY, description: 'cost − allocatedCost (so every row adds up exactly).' }) idleCost: string;
}

export class MonthlyCostRowDto extends MonthlyCostOwnCurrencyRowDto {
  @ApiPropertyOptional({
    example: '0.9239582371',
    description:
      'With ?reportingCurrency= only: units of the reporting currency per 1 unit of this row’s currency, ' +
      'from ECB rates (units per 1 EUR) of the month’s last day or the latest earlier day within 7 days, crossed through EUR; 10 decimals.',
  })
  fxRate?: string;
  @ApiPropertyOptional({
    type: String,
    format: 'date',
    nullable: true,
    example: '2026-05-29',
    description: 'The ECB day of the rate (the older of the two legs of a cross rate); null when no rate was needed.',
  })
  fxRateDate?: string | null;
  @ApiPropertyOptional({
    ...MONEY,
    example: '236.53',
    description: 'cost × the exact cross rate, rounded once to cents (in the reporting currency).',
  })
  costReporting?: string;
  @ApiPropertyOptional({ ...MONEY, example: '118.27' }) allocatedCostReporting?: string;
  @ApiPropertyOptional({ ...MONEY, example: '118.26', description: 'costReporting − allocatedCostReporting.' })
  idleCostReporting?: string;
}

export class ReportingTotalsDto {
  @ApiProperty({ example: 'EUR' }) reportingCurrency: string;
  @ApiProperty({ ...MONEY, description: 'Sum of the rows’ costReporting.' }) cost: string;
  @ApiProperty({ ...MONEY, description: 'Sum of the rows’ allocatedCostReporting.' }) allocatedCost: string;
  @ApiProperty({ ...MONEY, description: 'Sum of the rows’ idleCostReporting.' }) idleCost: string;
}

export class MonthlyCostReportDto {
  @ApiProperty({ example: '2026-05' }) month: string;
  @ApiProperty({ enum: COST_GROUPS }) groupBy: CostGroup;
  @ApiProperty({ type: 'integer', example: 31 }) daysInMonth: number;
  @ApiProperty({
    example: false,
    description:
      'true when the month is closed: the rows are the figures frozen when it was closed, identical whatever happened since.',
  })
  closed: boolean;
  @ApiPropertyOptional({ example: 'EUR', description: 'Echoed when ?reportingCurrency= was given.' })
  reportingCurrency?: string;
  @ApiProperty({ type: [MonthlyCostRowDto] }) rows: MonthlyCostRowDto[];
  @ApiPropertyOptional({
    type: ReportingTotalsDto,
    description: 'With ?reportingCurrency= only: every row converted and added up.',
  })
  totals?: ReportingTotalsDto;
}

export const RENEWAL_ACTIONS = ['renew', 'cancel-before-auto-renewal'] as const;
export type RenewalAction = (typeof RENEWAL_ACTIONS)[number];

export class RenewalRowDto extends ReportRowDto {
  @ApiProperty({ example: '185.10.20.0/22' }) prefix: string;
  @ApiProperty({ format: 'uuid' }) lessorId: string;
  @ApiProperty({ example: 'RIPE Lessor Ltd', description: 'Lessor name.' }) lessor: string;
  @ApiProperty({
    enum: RENEWAL_ACTIONS,
    description:
      '`renew`: no auto-renewal, the lease ends on currentTermEnd unless renewed. `cancel-before-auto-renewal`: it renews by itself unless notice is given by noticeDeadline.',
  })
  action: RenewalAction;
  @ApiProperty() autoRenew: boolean;
  @ApiProperty({ type: 'integer', example: 30 }) noticePeriodDays: number;
  @ApiProperty({ format: 'date', example: '2026-12-01', description: 'currentTermEnd − noticePeriodDays.' })
  noticeDeadline: string;
  @ApiProperty({ format: 'date', example: '2026-12-31' }) currentTermEnd: string;
  @ApiProperty({
    type: 'integer',
    example: 4,
    description: 'Days from today (UTC) to noticeDeadline; negative when it has passed.',
  })
  daysToNoticeDeadline: number;
  @ApiProperty({ type: 'integer', example: 34 }) daysToTermEnd: number;
  @ApiProperty({ ...MONEY, description: 'Full-month price of the lease (pricePerIpMonthly × addresses).' })
  monthlyCost: string;
}

export class RenewalsReportDto {
  @ApiProperty({ type: 'integer', example: 90 }) withinDays: number;
  @ApiProperty({ format: 'date', description: 'Today (UTC): the window is asOf .. until, inclusive.' }) asOf: string;
  @ApiProperty({ format: 'date' }) until: string;
  @ApiProperty({ type: [RenewalRowDto] }) rows: RenewalRowDto[];
}

export class UtilizationRowDto extends ReportRowDto {
  @ApiProperty({ type: 'integer', example: 1024 }) leasedAddresses: number;
  @ApiProperty({ type: 'integer', example: 768 }) allocatedAddresses: number;
  @ApiProperty({ type: 'integer', example: 256 }) freeAddresses: number;
  @ApiProperty({ example: '0.7500', description: 'allocatedAddresses ÷ leasedAddresses, 4 decimals.' })
  utilization: string;
  @ApiProperty({
    example: '0.2500',
    description: 'leasedAddresses ÷ all leased addresses in this currency, 4 decimals.',
  })
  shareOfLeased: string;
  @ApiProperty({ ...MONEY, description: 'Full-month price of leasedAddresses.' }) monthlyCost: string;
  @ApiProperty({ ...MONEY, description: 'Full-month price of freeAddresses.' }) idleMonthlyCost: string;
}

export class UtilizationReportDto {
  @ApiProperty({ enum: COST_GROUPS }) groupBy: CostGroup;
  @ApiProperty({ format: 'date' }) asOf: string;
  @ApiProperty({ type: [UtilizationRowDto] }) rows: UtilizationRowDto[];
}

export class ForecastRowDto extends ReportRowDto {
  @ApiProperty({ type: 'integer', example: 3, description: 'Leases with at least one committed day in the month.' })
  leases: number;
  @ApiProperty(ADDRESS_MONTHS) addresses: string;
  @ApiProperty(MONEY) cost: string;
}

export class ForecastReportDto {
  @ApiProperty({ example: '2026-05' }) from: string;
  @ApiProperty({ type: 'integer', example: 12 }) months: number;
  @ApiProperty({ type: [ForecastRowDto] }) rows: ForecastRowDto[];
}

/** CSV columns, in order: the JSON row fields. One list, so the header can never drift from the JSON. */
export const MONTHLY_COST_COLUMNS = [
  'key',
  'label',
  'currency',
  'addresses',
  'cost',
  'allocatedAddresses',
  'allocatedCost',
  'idleAddresses',
  'idleCost',
] as const satisfies readonly (keyof MonthlyCostRowDto)[];
/** With ?reportingCurrency=: the same columns, then the rate and the converted figures. */
export const MONTHLY_COST_REPORTING_COLUMNS = [
  ...MONTHLY_COST_COLUMNS,
  'fxRate',
  'fxRateDate',
  'costReporting',
  'allocatedCostReporting',
  'idleCostReporting',
] as const satisfies readonly (keyof MonthlyCostRowDto)[];
export const RENEWAL_COLUMNS = [
  'key',
  'label',
  'currency',
  'prefix',
  'lessorId',
  'lessor',
  'action',
  'autoRenew',
  'noticePeriodDays',
  'noticeDeadline',
  'currentTermEnd',
  'daysToNoticeDeadline',
  'daysToTermEnd',
  'monthlyCost',
] as const satisfies readonly (keyof RenewalRowDto)[];
export const UTILIZATION_COLUMNS = [
  'key',
  'label',
  'currency',
  'leasedAddresses',
  'allocatedAddresses',
  'freeAddresses',
  'utilization',
  'shareOfLeased',
  'monthlyCost',
  'idleMonthlyCost',
] as const satisfies readonly (keyof UtilizationRowDto)[];
export const FORECAST_COLUMNS = [
  'key',
  'label',
  'currency',
  'leases',
  'addresses',
  'cost',
] as const satisfies readonly (keyof ForecastRowDto)[];

export class StrandedRowDto {
  @ApiProperty({ format: 'uuid', description: 'The allocation id.' }) key: string;
  @ApiProperty({ example: '185.10.20.0/26', description: 'The allocation prefix.' }) label: string;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ example: '185.10.20.0/22' }) leasePrefix: string;
  @ApiProperty({ example: 'expired', description: 'The lease status today.' }) leaseStatus: string;
  @ApiProperty({ format: 'date', example: '2026-09-30', description: 'The last day of the lease term.' })
  leaseEndedOn: string;
  @ApiProperty({ format: 'uuid' }) regionId: string;
  @ApiProperty({ format: 'uuid' }) providerId: string;
}

export class StrandedReportDto {
  @ApiProperty({ format: 'date', example: '2026-11-29' }) asOf: string;
  @ApiProperty({ type: [StrandedRowDto], description: 'Longest stranded first.' }) rows: StrandedRowDto[];
}

export const STRANDED_COLUMNS = [
  'key',
  'label',
  'leaseId',
  'leasePrefix',
  'leaseStatus',
  'leaseEndedOn',
  'regionId',
  'providerId',
] as const;
