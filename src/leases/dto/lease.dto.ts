import { IsCurrencyCode } from '../../common/currency';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ListedDto } from '../../reputation/dto/listed.dto';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';
import {
  IsAddressOrPrefix,
  IsCalendarDate,
  IsCanonicalCidr,
  IsDecimalString,
  IsOriginAsn,
} from '../../common/validators';

export const LEASE_STATUSES = ['pending', 'active', 'expired', 'terminated'] as const;
export type LeaseStatus = (typeof LEASE_STATUSES)[number];
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,63}$/;
const TAG_MESSAGE = 'each tag must be 1-64 characters: letters, digits and . _ : / @ + = -';

export class CreateLeaseDto {
  @ApiProperty({ example: '185.10.20.0/22', description: 'Canonical IPv4 CIDR; special-purpose space is refused.' })
  @IsCanonicalCidr()
  prefix: string;

  @ApiProperty({ format: 'uuid', example: '00000000-0000-4000-8000-000000000000', description: 'An existing lessor.' })
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId: string;

  @ApiProperty({ example: '2026-01-01', format: 'date', description: 'First day of service.' })
  @IsCalendarDate()
  startDate: string;

  @ApiPropertyOptional({
    type: String,
    example: '2026-12-31',
    format: 'date',
    nullable: true,
    description: 'Last day of service (inclusive). Required with autoRenew.',
  })
  @IsOptional()
  @IsCalendarDate()
  endDate?: string | null;

  @ApiPropertyOptional({
    default: false,
    description: 'Roll on past endDate in terms of renewalTermMonths until terminated.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'autoRenew must be true or false' })
  autoRenew?: boolean;

  @ApiPropertyOptional({ type: 'integer', default: 12, minimum: 1, maximum: 120 })
  @IsOptionalNotNull()
  @IsInt({ message: 'renewalTermMonths must be an integer' })
  @Min(1)
  @Max(120)
  renewalTermMonths?: number;

  @ApiPropertyOptional({ type: 'integer', default: 30, minimum: 0, maximum: 3650 })
  @IsOptionalNotNull()
  @IsInt({ message: 'noticePeriodDays must be an integer' })
  @Min(0)
  @Max(3650)
  noticePeriodDays?: number;

  @ApiProperty({ example: '0.4500', description: 'Price per address per month, decimal string (up to 4 decimals).' })
  @IsDecimalString()
  pricePerIpMonthly: string;

  @ApiProperty({ example: 'USD', description: 'ISO 4217 currency code.' })
  @IsCurrencyCode()
  currency: string;

  @ApiPropertyOptional({ type: String, example: 'IPXO-2026-0042', maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  contractRef?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 16509,
    minimum: 1,
    maximum: 4294967294,
    format: 'int64',
    nullable: true,
    description: 'Reserved and documentation ASNs (0, 23456, 64496-64511, 65535, 65536-65551, 4294967295) are refused.',
  })
  @IsOptional()
  @IsOriginAsn()
  originAsn?: number | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: TAG_PATTERN.source },
    example: ['prod', 'eu'],
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];

  @ApiPropertyOptional({ type: String, maxLength: 10000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string | null;
}

/** PATCH: any subset of the writable fields; null clears an optional one. */
export class UpdateLeaseDto extends OmitType(CreateLeaseDto, [
  'prefix',
  'lessorId',
  'startDate',
  'pricePerIpMonthly',
  'currency',
] as const) {
  @ApiPropertyOptional({ example: '185.10.20.0/22', description: 'Only while the lease has no active allocations.' })
  @IsOptionalNotNull()
  @IsCanonicalCidr()
  prefix?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId?: string;

  @ApiPropertyOptional({ example: '2026-01-01', format: 'date' })
  @IsOptionalNotNull()
  @IsCalendarDate()
  startDate?: string;

  @ApiPropertyOptional({ example: '0.4500' })
  @IsOptionalNotNull()
  @IsDecimalString()
  pricePerIpMonthly?: string;

  @ApiPropertyOptional({ example: 'USD' })
  @IsOptionalNotNull()
  @IsCurrencyCode()
  currency?: string;
}

export class TerminateLeaseDto {
  @ApiProperty({ example: '2026-06-30', format: 'date', description: 'Last day of service.' })
  @IsCalendarDate()
  effectiveDate: string;
}

export class LeaseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '185.10.20.0/22' }) prefix: string;
  @ApiProperty({ format: 'uuid' }) lessorId: string;
  @ApiProperty({ format: 'date', example: '2026-01-01' }) startDate: string;
  @ApiProperty({ type: String, format: 'date', nullable: true }) endDate: string | null;
  @ApiProperty() autoRenew: boolean;
  @ApiProperty({ type: 'integer', example: 12 }) renewalTermMonths: number;
  @ApiProperty({ type: 'integer', example: 30 }) noticePeriodDays: number;
  @ApiProperty({ example: '0.4500', description: 'The price in force today (see the amendments).' })
  pricePerIpMonthly: string;
  @ApiProperty({ example: 'USD', description: 'The currency in force today.' }) currency: string;
  @ApiProperty({ type: String, nullable: true }) contractRef: string | null;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true }) originAsn: number | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty({ enum: LEASE_STATUSES, description: 'Computed for today (UTC).' }) status: LeaseStatus;
  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'End of the running term (auto-renewals rolled on); null when open-ended.',
  })
  currentTermEnd: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true }) terminatedOn: string | null;
  @ApiProperty({ type: 'integer', example: 1024 }) addressCount: number;
  @ApiProperty({ type: 'integer', example: 256 }) allocatedAddressCount: number;
  @ApiProperty({
    type: 'integer',
    example: 4,
    description: 'Active allocations in the lease; any while its term has ended means stranded space.',
  })
  activeAllocationCount: number;
  @ApiProperty({
    example: '460.80',
    description: 'Full-month price: pricePerIpMonthly × addressCount, rounded to cents.',
  })
  monthlyCost: string;
  @ApiProperty({
    type: [ListedDto],
    description: 'Reputation-list blocks (e.g. Spamhaus DROP) that overlap this prefix; empty when clean.',
  })
  listed: ListedDto[];
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class TerminatedLeaseDto extends LeaseDto {
  @ApiProperty({
    example: true,
    description: 'Whether the termination was recorded at least noticePeriodDays before its effectiveDate.',
  })
  noticeGiven: boolean;
}

export class RenewLeaseDto {
  @ApiProperty({ example: '2027-12-31', format: 'date', description: 'Last day of the new term.' })
  @IsCalendarDate()
  endDate: string;

  @ApiPropertyOptional({ description: 'Whether the lease rolls on after the new term (default: unchanged).' })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'autoRenew must be true or false' })
  autoRenew?: boolean;

  @ApiPropertyOptional({ example: '0.5000', description: 'New price from the first day of the new term.' })
  @IsOptionalNotNull()
  @IsDecimalString()
  pricePerIpMonthly?: string;

  @ApiPropertyOptional({ example: 'USD' })
  @IsOptionalNotNull()
  @IsCurrencyCode()
  currency?: string;
}

export class CreateAmendmentDto {
  @ApiProperty({ example: '2026-07-01', format: 'date', description: 'First day of the new terms.' })
  @IsCalendarDate()
  effectiveDate: string;

  @ApiProperty({ example: '0.5000', description: 'Price per address per month from effectiveDate.' })
  @IsDecimalString()
  pricePerIpMonthly: string;

  @ApiPropertyOptional({ example: 'USD', description: 'Default: the currency in force on effectiveDate.' })
  @IsOptionalNotNull()
  @IsCurrencyCode()
  currency?: string;

  @ApiPropertyOptional({ type: String, example: 'Indexation 2026', maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string | null;
}

export class AmendmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ format: 'date', example: '2026-07-01' }) effectiveDate: string;
  @ApiProperty({ example: '0.5000' }) pricePerIpMonthly: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, nullable: true, example: 'Indexation 2026' }) note: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AmendmentPageDto extends PageDto {
  @ApiProperty({ type: [AmendmentDto], description: 'Oldest first; the original terms are the first item.' })
  items: AmendmentDto[];
}

export class LeasePageDto extends PageDto {
  @ApiProperty({ type: [LeaseDto] }) items: LeaseDto[];
}

export class LeaseQuery extends PageQuery {
  @ApiPropertyOptional({ enum: LEASE_STATUSES })
  @IsOptional()
  @IsIn(LEASE_STATUSES, { message: `status must be one of ${LEASE_STATUSES.join(', ')}` })
  status?: LeaseStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'lessorId must be a UUID' })
  lessorId?: string;

  @ApiPropertyOptional({ example: 'prod', pattern: TAG_PATTERN.source })
  @IsOptional()
  @Matches(TAG_PATTERN, { message: TAG_MESSAGE })
  tag?: string;

  @ApiPropertyOptional({ example: '185.10.20.7', description: 'Leases whose prefix contains this address or prefix.' })
  @IsOptional()
  @IsAddressOrPrefix()
  contains?: string;

  @ApiPropertyOptional({ example: '185.0.0.0/8', description: 'Leases whose prefix lies within this prefix.' })
  @IsOptional()
  @IsCanonicalCidr()
  within?: string;

  @ApiPropertyOptional({ example: '2026-06-01', format: 'date', description: 'Leases whose term covers this day.' })
  @IsOptional()
  @IsCalendarDate()
  activeOn?: string;
  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description:
      'csv: every matching row (not one page) as CSV in the bulk-import columns, so the file imports back as is.',
  })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}
