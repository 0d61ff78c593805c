import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
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
import { PageDto, PageQuery, toIntegerOrRaw } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';
import {
  IsAddressOrPrefix,
  IsAllocationName,
  IsCalendarDate,
  IsCanonicalCidr,
  IsOriginAsn,
} from '../../common/validators';
import { TAG_PATTERN } from '../../leases/dto/lease.dto';

export const STRATEGIES = ['best-fit', 'first-fit'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const ALLOCATION_STATUSES = ['active', 'released'] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];
const TAG_MESSAGE = 'each tag must be 1-64 characters: letters, digits and . _ : / @ + = -';

/** Either `prefix` (an explicit block) or `prefixLength` (the next free block of that size). */
export class CreateAllocationDto {
  @ApiPropertyOptional({
    example: '185.10.20.0/26',
    description: 'Explicit block to claim. Give this or prefixLength, not both.',
  })
  @IsOptionalNotNull()
  @IsCanonicalCidr()
  prefix?: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 26,
    minimum: 0,
    maximum: 32,
    description: 'Size of the next free block to take. Give this or prefix, not both.',
  })
  @IsOptionalNotNull()
  @IsInt({ message: 'prefixLength must be an integer from 0 to 32 (a JSON number, not a string)' })
  @Min(0)
  @Max(32)
  prefixLength?: number;

  @ApiProperty({ format: 'uuid', description: 'Where the addresses are used.' })
  @IsUUID('all', { message: 'regionId must be a UUID' })
  regionId: string;

  @ApiProperty({ format: 'uuid', description: 'Who announces or hosts them; its min/max prefix length rules apply.' })
  @IsUUID('all', { message: 'providerId must be a UUID' })
  providerId: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Lease to allocate from. Inferred for an explicit prefix; without it a next-free request chooses among all active leases.',
  })
  @IsOptionalNotNull()
  @IsUUID('all', { message: 'leaseId must be a UUID' })
  leaseId?: string;

  @ApiPropertyOptional({
    enum: STRATEGIES,
    default: 'best-fit',
    description:
      'best-fit: the smallest free block that fits, lowest address first. first-fit: the lowest-addressed block that fits. ' +
      'Requests into one lease run in parallel: each takes the best block no other request is taking at that moment, so a burst of ' +
      'concurrent small allocations may split more large blocks than the same requests one at a time (take large blocks first where whole ones matter).',
  })
  @IsOptionalNotNull()
  @IsIn(STRATEGIES, { message: 'strategy must be best-fit or first-fit' })
  strategy?: Strategy;

  @ApiPropertyOptional({
    type: String,
    example: 'eu-west-1-nat',
    minLength: 1,
    maxLength: 128,
    nullable: true,
    description:
      'A name automation chooses: 1-128 printable characters, no leading or trailing whitespace, unique among active allocations (409 ALREADY_EXISTS). Null clears it.',
  })
  @IsOptional()
  @IsAllocationName()
  name?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 16509,
    minimum: 1,
    maximum: 4294967294,
    format: 'int64',
    nullable: true,
    description:
      'The AS that announces the space. AS0, 23456, 64496-64511, 65535, 65536-65551 and 4294967295 (reserved or documentation) are refused.',
  })
  @IsOptional()
  @IsOriginAsn()
  originAsn?: number | null;

  @ApiPropertyOptional({ type: String, example: 'NAT gateways, prod', maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({
    format: 'date',
    example: '2026-01-01',
    description:
      'The first day the allocation counts (default today, UTC). May lie in the past for inventory being onboarded: not before the lease starts, not in a closed month, and the block must have been free since.',
  })
  @IsOptionalNotNull()
  @IsCalendarDate()
  effectiveDate?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: TAG_PATTERN.source }, example: ['prod'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class UpdateAllocationDto {
  @ApiPropertyOptional({
    format: 'date',
    example: '2026-03-10',
    description:
      "The first day a change of regionId/providerId applies (default today, UTC): not before the allocation's first day, not in the future, not in a closed month.",
  })
  @IsOptionalNotNull()
  @IsCalendarDate()
  effectiveDate?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID('all', { message: 'regionId must be a UUID' })
  regionId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID('all', { message: 'providerId must be a UUID' })
  providerId?: string;

  @ApiPropertyOptional({
    type: String,
    example: 'eu-west-1-nat',
    minLength: 1,
    maxLength: 128,
    nullable: true,
    description:
      'A name automation chooses: 1-128 printable characters, no leading or trailing whitespace, unique among active allocations (409 ALREADY_EXISTS). Null clears it.',
  })
  @IsOptional()
  @IsAllocationName()
  name?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 16509,
    minimum: 1,
    maximum: 4294967294,
    format: 'int64',
    nullable: true,
    description:
      'The AS that announces the space. AS0, 23456, 64496-64511, 65535, 65536-65551 and 4294967295 (reserved or documentation) are refused.',
  })
  @IsOptional()
  @IsOriginAsn()
  originAsn?: number | null;

  @ApiPropertyOptional({ type: String, maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: TAG_PATTERN.source } })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class AllocationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ example: '185.10.20.0/26' }) prefix: string;
  @ApiProperty({ format: 'uuid' }) regionId: string;
  @ApiProperty({ format: 'uuid' }) providerId: string;
  @ApiProperty({ enum: ALLOCATION_STATUSES }) status: AllocationStatus;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The prefixLength asked for (null for an explicit prefix).',
  })
  requestedPrefixLength: number | null;
  @ApiProperty({ enum: ['explicit', ...STRATEGIES] }) strategy: string;
  @ApiProperty({ type: String, nullable: true, example: 'eu-west-1-nat' }) name: string | null;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, example: 16509 }) originAsn: number | null;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'integer', example: 64 }) addressCount: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) releasedAt: string | null;
  @ApiProperty({ format: 'date', example: '2026-01-01', description: 'The first day the allocation counts.' })
  effectiveDate: string;
  @ApiProperty({
    example: true,
    description: 'Whether its lease is active today; false means the allocation is stranded (the lease term ended).',
  })
  leaseActive: boolean;
  @ApiProperty({
    type: [ListedDto],
    description: 'Reputation-list blocks (e.g. Spamhaus DROP) that overlap this prefix; empty when clean.',
  })
  listed: ListedDto[];
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class AllocationPreviewDto {
  @ApiProperty({ example: true }) dryRun: boolean;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ example: '185.10.20.0/26' }) prefix: string;
  @ApiProperty({ format: 'uuid' }) regionId: string;
  @ApiProperty({ format: 'uuid' }) providerId: string;
  @ApiProperty({ type: 'integer', nullable: true }) requestedPrefixLength: number | null;
  @ApiProperty({ enum: ['explicit', ...STRATEGIES] }) strategy: string;
  @ApiProperty({ type: 'integer', example: 64 }) addressCount: number;
  @ApiProperty({ format: 'date', example: '2026-01-01' }) effectiveDate: string;
}

export class MoveAllocationDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The active lease that takes the allocation over; it must contain the prefix.',
  })
  @IsUUID('all', { message: 'leaseId must be a UUID' })
  leaseId: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2026-10-01',
    description:
      'The first day the allocation belongs to the new lease (default today, UTC); not before that lease starts.',
  })
  @IsOptionalNotNull()
  @IsCalendarDate()
  effectiveDate?: string;
}

export class AllocationPeriodDto {
  @ApiProperty({ format: 'date', example: '2026-01-01' }) validFrom: string;
  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    example: '2026-03-09',
    description: 'Inclusive; null = open.',
  })
  validTo: string | null;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ format: 'uuid' }) regionId: string;
  @ApiProperty({ format: 'uuid' }) providerId: string;
}

export class AllocationHistoryDto {
  @ApiProperty({ type: [AllocationPeriodDto], description: 'Oldest first.' }) items: AllocationPeriodDto[];
}

export class AllocationPageDto extends PageDto {
  @ApiProperty({ type: [AllocationDto] }) items: AllocationDto[];
}

export class CreateAllocationQuery {
  @ApiPropertyOptional({ type: Boolean, description: 'Answer 200 with what would be allocated, writing nothing.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export class AllocationQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'leaseId must be a UUID' })
  leaseId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'regionId must be a UUID' })
  regionId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'providerId must be a UUID' })
  providerId?: string;

  @ApiPropertyOptional({
    enum: ALLOCATION_STATUSES,
    default: 'active',
    description: 'Released allocations are listed only when asked for.',
  })
  @IsOptional()
  @IsIn(ALLOCATION_STATUSES, { message: 'status must be active or released' })
  status?: AllocationStatus;

  @ApiPropertyOptional({ example: '185.10.20.7' })
  @IsOptional()
  @IsAddressOrPrefix()
  contains?: string;

  @ApiPropertyOptional({ example: '185.10.20.0/22' })
  @IsOptional()
  @IsCanonicalCidr()
  within?: string;

  @ApiPropertyOptional({ example: 'prod', pattern: TAG_PATTERN.source })
  @IsOptional()
  @Matches(TAG_PATTERN, { message: TAG_MESSAGE })
  tag?: string;

  @ApiPropertyOptional({ example: 'eu-west-1-nat', description: 'Exact allocation name.' })
  @IsOptional()
  @IsAllocationName()
  name?: string;
  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description:
      'csv: every matching row (not one page) as CSV in the bulk-import columns, so the file imports back as is.',
  })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}

export class FreeSpaceQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 32,
    description: 'List every free block of exactly this length; without it, the maximal free blocks.',
  })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'prefixLength must be an integer from 0 to 32' })
  @Min(0)
  @Max(32)
  prefixLength?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 256,
    description: 'At most this many items; total still counts all.',
  })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'limit must be an integer from 1 to 1000' })
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class FreeBlockDto {
  @ApiProperty({ example: '185.10.20.64/26' }) prefix: string;
  @ApiProperty({ type: 'integer', example: 64 }) addressCount: number;
}

export class FreeSpaceDto {
  @ApiProperty({ type: [FreeBlockDto] }) items: FreeBlockDto[];
  @ApiProperty({
    type: 'integer',
    example: 3,
    description: 'How many blocks there are in all (items may be capped by limit).',
  })
  total: number;
  @ApiProperty({ type: 'integer', example: 960, description: 'Free addresses in the lease.' }) freeAddresses: number;
}
