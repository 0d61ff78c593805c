import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsCurrencyCode } from '../../common/currency';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsCanonicalCidr } from '../../common/validators';
import { FormatQuery, MONTH_PATTERN } from '../../reports/dto/report-query.dto';

/** Invoiced money: a decimal string in cents, like the report figures it is checked against. */
export const AMOUNT_PATTERN = /^\d{1,14}(\.\d{1,2})?$/;
export const AMOUNT_MESSAGE = 'must be a decimal string with up to 2 decimals, like "256.00" (not a JSON number)';
/** Printable, no leading or trailing space: invoice numbers are matched exactly. */
export const INVOICE_NUMBER_PATTERN = /^\S(?:[\x20-\x7e]*\S)?$/;
const MONTH_MESSAGE = 'month must be a calendar month YYYY-MM, like 2026-05';

export class InvoiceLineDto {
  @ApiProperty({ example: '185.10.20.0/24', description: 'The leased prefix invoiced (canonical CIDR).' })
  @IsCanonicalCidr()
  prefix: string;

  @ApiProperty({ example: '256.00', pattern: AMOUNT_PATTERN.source, description: 'In the invoice currency.' })
  @IsString({ message: `amount ${AMOUNT_MESSAGE}` })
  @Matches(AMOUNT_PATTERN, { message: `amount ${AMOUNT_MESSAGE}` })
  amount: string;
}

export class CreateInvoiceDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId: string;

  @ApiProperty({
    pattern: INVOICE_NUMBER_PATTERN.source,
    example: 'INV-2026-05-001',
    maxLength: 100,
    description: "The lessor's number; unique per lessor (exact match).",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(INVOICE_NUMBER_PATTERN, {
    message: 'invoiceNumber must be printable ASCII without leading or trailing spaces',
  })
  invoiceNumber: string;

  @ApiProperty({ example: '2026-05', pattern: MONTH_PATTERN.source, description: 'The month of service invoiced.' })
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month: string;

  @ApiProperty({ example: 'USD', description: 'ISO 4217; every line is in this currency.' })
  @IsCurrencyCode()
  currency: string;

  @ApiProperty({ type: [InvoiceLineDto], minItems: 1, maxItems: 10000, description: 'One line per prefix.' })
  @IsArray()
  @ArrayMinSize(1, { message: 'lines must hold at least one line' })
  @ArrayMaxSize(10_000)
  // class-validator passes a nested array ([[]]) as valid: refuse anything but objects first.
  @IsObject({ each: true, message: 'each line must be an object { prefix, amount }' })
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineDto)
  lines: InvoiceLineDto[];
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) lessorId: string;
  @ApiProperty({ example: 'INV-2026-05-001' }) invoiceNumber: string;
  @ApiProperty({ example: '2026-05' }) month: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '256.00', description: 'Sum of the lines.' }) total: string;
  @ApiProperty({ type: [InvoiceLineDto] }) lines: InvoiceLineDto[];
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class InvoicePageDto extends PageDto {
  @ApiProperty({ type: [InvoiceDto] }) items: InvoiceDto[];
}

export class InvoiceQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId?: string;

  @ApiPropertyOptional({ example: '2026-05', pattern: MONTH_PATTERN.source })
  @IsOptional()
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month?: string;
}

export class InvoiceImportResultDto {
  @ApiProperty({ type: 'integer', example: 2, description: 'Invoices created.' }) invoices: number;
  @ApiProperty({ type: 'integer', example: 5, description: 'Lines created (= data rows).' }) lines: number;
  @ApiProperty({ type: [InvoiceDto], description: 'The invoices created, in the order of their first row.' })
  items: InvoiceDto[];
}

export const RECONCILIATION_STATUSES = ['matched', 'over', 'under', 'not-invoiced', 'unexpected'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

const TOLERANCE = /^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$/;

export class ReconciliationQuery extends FormatQuery {
  @ApiProperty({ example: '2026-05', pattern: MONTH_PATTERN.source })
  @Matches(MONTH_PATTERN, { message: MONTH_MESSAGE })
  month: string;

  @ApiPropertyOptional({
    pattern: TOLERANCE.source,
    example: '1',
    default: '0',
    description:
      'A line matches when |variance| ≤ tolerancePercent % of expected. Decimal from 0 to 100 (up to 4 decimals); default 0 (to the cent).',
  })
  @IsOptional()
  @Matches(TOLERANCE, { message: 'tolerancePercent must be a decimal from 0 to 100, like 1 or 0.5' })
  tolerancePercent?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this lessor.' })
  @IsOptional()
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId?: string;
}

export class ReconciliationRowDto {
  @ApiProperty({
    example: '3f1c…',
    description:
      'Lease id (several joined with "+" when renewals of one prefix share the month); for `unexpected`, the invoice id.',
  })
  key: string;
  @ApiProperty({ example: '185.10.20.0/24', description: 'The prefix.' }) label: string;
  @ApiProperty({ format: 'uuid' }) lessorId: string;
  @ApiProperty({ example: 'Example Networks Ltd' }) lessor: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({
    example: '256.00',
    description: 'The lease cost of the month, exactly as GET /reports/monthly-cost?groupBy=lease reports it.',
  })
  expected: string;
  @ApiProperty({ example: '261.12', description: 'Sum of the invoice lines for this prefix, lessor and currency.' })
  invoiced: string;
  @ApiProperty({ example: '5.12', description: 'invoiced − expected.' }) variance: string;
  @ApiProperty({
    enum: RECONCILIATION_STATUSES,
    description:
      '`matched`: |variance| ≤ tolerance × expected; `over`/`under`: outside it; `not-invoiced`: expected > 0 and no line; `unexpected`: a line for a prefix with no lease cost of that lessor in that currency and month.',
  })
  status: ReconciliationStatus;
  @ApiProperty({ example: 'INV-2026-05-001', description: 'Invoice numbers of the lines, joined with "; ".' })
  invoiceNumbers: string;
}

export class ReconciliationReportDto {
  @ApiProperty({ example: '2026-05' }) month: string;
  @ApiProperty({ example: '1' }) tolerancePercent: string;
  @ApiPropertyOptional({ format: 'uuid' }) lessorId?: string;
  @ApiProperty({ type: [ReconciliationRowDto] }) rows: ReconciliationRowDto[];
}

export const RECONCILIATION_COLUMNS = [
  'key',
  'label',
  'lessorId',
  'lessor',
  'currency',
  'expected',
  'invoiced',
  'variance',
  'status',
  'invoiceNumbers',
] as const satisfies readonly (keyof ReconciliationRowDto)[];

export const IMPORT_COLUMNS = ['lessor', 'invoiceNumber', 'month', 'prefix', 'amount', 'currency'] as const;
