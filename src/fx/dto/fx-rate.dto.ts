import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsCurrencyCode } from '../../common/currency';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsCalendarDate } from '../../common/validators';
import { RATE_PATTERN } from '../ecb-csv';

export class FxRateDto {
  @ApiProperty({ format: 'date', example: '2026-05-29', description: 'The ECB reference day.' })
  @IsCalendarDate()
  date: string;

  @ApiProperty({ example: 'USD', description: 'ISO 4217; not EUR (the base, 1 by definition).' })
  @IsCurrencyCode()
  currency: string;

  @ApiProperty({
    example: '1.0823',
    pattern: RATE_PATTERN.source,
    description: 'Units of the currency per 1 EUR, as a decimal string (ECB publishes 4 to 5 significant digits).',
  })
  @IsString({ message: 'perEur must be a decimal string like "1.0823" (not a JSON number)' })
  @Matches(RATE_PATTERN, { message: 'perEur must be a positive decimal string like "1.0823"' })
  perEur: string;
}

export class ImportFxRatesDto {
  @ApiProperty({ type: [FxRateDto], minItems: 1, maxItems: 100000 })
  @IsArray()
  @ArrayMinSize(1, { message: 'rates must hold at least one rate' })
  @ArrayMaxSize(100_000)
  // class-validator passes a nested array ([[]]) as valid: refuse anything but objects first.
  @IsObject({ each: true, message: 'each rate must be an object { date, currency, perEur }' })
  @ValidateNested({ each: true })
  @Type(() => FxRateDto)
  rates: FxRateDto[];
}

export class FxImportResultDto {
  @ApiProperty({
    type: 'integer',
    example: 82,
    description: 'Rates in the request (N/A cells and skipped columns not counted).',
  })
  imported: number;
  @ApiProperty({
    type: 'integer',
    example: 41,
    description: 'Of those, how many were new or differed from the stored rate.',
  })
  changed: number;
  @ApiProperty({ type: [String], example: ['JPY', 'USD'], description: 'Currencies imported, sorted.' })
  currencies: string[];
  @ApiProperty({ format: 'date', example: '2026-05-28', description: 'Earliest day imported.' })
  from: string;
  @ApiProperty({ format: 'date', example: '2026-05-29', description: 'Latest day imported.' })
  to: string;
  @ApiProperty({
    type: [String],
    example: ['CYP', 'HRK'],
    description:
      'CSV columns left out because the code is not a current ISO 4217 currency (the ECB history keeps legacy ones such as CYP or HRK); no lease can be priced in them.',
  })
  skippedCurrencies: string[];
}

export class FxRatePageDto extends PageDto {
  @ApiProperty({ type: [FxRateDto] }) items: FxRateDto[];
}

export class FxRateQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'USD' })
  @IsOptional()
  @IsCurrencyCode()
  currency?: string;

  @ApiPropertyOptional({ format: 'date', example: '2026-05-01', description: 'First day, inclusive.' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ format: 'date', example: '2026-05-31', description: 'Last day, inclusive.' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;
}
