import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsOriginAsnList, NoControlCharacters } from '../../common/validators';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';

export const PROVIDER_CODE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const PROVIDER_CODE_MESSAGE =
  'code must be a lowercase slug: a letter or digit, then up to 62 letters, digits or dashes';
export const DEFAULT_MIN_PREFIX_LENGTH = 8;
export const DEFAULT_MAX_PREFIX_LENGTH = 32;

const prefixLengthMessage = (field: string) => ({ message: `${field} must be an integer from 0 to 32` });

export class CreateProviderDto {
  @ApiProperty({ example: 'aws', pattern: PROVIDER_CODE.source, maxLength: 63, description: 'Unique lowercase slug.' })
  @IsString()
  @Matches(PROVIDER_CODE, { message: PROVIDER_CODE_MESSAGE })
  code: string;

  @ApiProperty({ pattern: /\S/.source, example: 'Amazon Web Services (BYOIP)', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 8,
    minimum: 0,
    maximum: 32,
    default: DEFAULT_MIN_PREFIX_LENGTH,
    description: 'Shortest prefix length (largest block) allocations to this provider may have.',
  })
  @IsOptionalNotNull()
  @IsInt(prefixLengthMessage('minPrefixLength'))
  @Min(0, prefixLengthMessage('minPrefixLength'))
  @Max(32, prefixLengthMessage('minPrefixLength'))
  minPrefixLength?: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 24,
    minimum: 0,
    maximum: 32,
    default: DEFAULT_MAX_PREFIX_LENGTH,
    description:
      'Longest prefix length (smallest block) allocations to this provider may have; at least minPrefixLength. AWS, GCP and Azure BYOIP need 24.',
  })
  @IsOptionalNotNull()
  @IsInt(prefixLengthMessage('maxPrefixLength'))
  @Min(0, prefixLengthMessage('maxPrefixLength'))
  @Max(32, prefixLengthMessage('maxPrefixLength'))
  maxPrefixLength?: number;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    isArray: true,
    example: [16509, 14618],
    maxItems: 32,
    description:
      'Origin ASNs that must be authorised (a ROA making the route valid) before space is announced through this provider (BYOIP): AWS [16509, 14618], Azure [8075].',
  })
  @IsOptionalNotNull()
  @ArrayMaxSize(32)
  @IsOriginAsnList()
  requiredOriginAsns?: number[];

  @ApiPropertyOptional({ type: String, example: 'BYOIP in eu-west-1 and us-east-1', maxLength: 10000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string | null;
}

/** PATCH: any subset; null clears notes; code, name and the prefix lengths cannot be cleared. */
export class UpdateProviderDto extends OmitType(CreateProviderDto, ['code', 'name'] as const) {
  @ApiPropertyOptional({ example: 'aws', pattern: PROVIDER_CODE.source, maxLength: 63 })
  @IsOptionalNotNull()
  @IsString()
  @Matches(PROVIDER_CODE, { message: PROVIDER_CODE_MESSAGE })
  code?: string;

  @ApiPropertyOptional({ pattern: /\S/.source, example: 'Amazon Web Services (BYOIP)', maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name?: string;
}

export class ProviderDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'aws' }) code: string;
  @ApiProperty({ example: 'Amazon Web Services (BYOIP)' }) name: string;
  @ApiProperty({ type: 'integer', example: 8, minimum: 0, maximum: 32 }) minPrefixLength: number;
  @ApiProperty({ type: 'integer', example: 24, minimum: 0, maximum: 32 }) maxPrefixLength: number;
  @ApiProperty({ type: 'integer', format: 'int64', isArray: true, example: [16509, 14618] })
  requiredOriginAsns: number[];
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ProviderPageDto extends PageDto {
  @ApiProperty({ type: [ProviderDto] }) items: ProviderDto[];
}

export class ProviderQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'aws', pattern: PROVIDER_CODE.source, description: 'Exact provider code.' })
  @IsOptional()
  @IsString()
  @Matches(PROVIDER_CODE, { message: PROVIDER_CODE_MESSAGE })
  code?: string;
}
