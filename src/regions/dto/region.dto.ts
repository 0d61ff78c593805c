import { NoControlCharacters } from '../../common/validators';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';
import { countryCodeProblem, isCountryCode, isSubdivisionCode, subdivisionCodeProblem } from '../iso-codes';

export const REGION_CODE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const REGION_CODE_MESSAGE =
  'code must be a lowercase slug: a letter or digit, then up to 62 letters, digits or dashes';
/** city is written into an RFC 8805 geofeed line, so it cannot carry a field or line separator. */
const CITY_TEXT = /^[^,\p{Cc}\u2028\u2029]*$/u;
const CITY_TEXT_MESSAGE =
  'city must not contain commas, line breaks or control characters (it is written into the RFC 8805 geofeed CSV)';

/** The public geofeed is opened in spreadsheets: a city may not start like a formula (= + - @, also after spaces). */
const NO_FORMULA_START = /^(?![\s\u00a0]*[=+\-@])/u;
const NO_FORMULA_START_MESSAGE =
  'city must not start with = + - or @ (a spreadsheet opening the public geofeed would run it as a formula)';

const IsCountryCode = () =>
  ValidateBy({
    name: 'isCountryCode',
    validator: {
      validate: (value) => isCountryCode(value),
      defaultMessage: (args) => countryCodeProblem(args?.property ?? 'countryCode', args?.value),
    },
  });

const IsSubdivisionCode = () =>
  ValidateBy({
    name: 'isSubdivisionCode',
    validator: {
      validate: (value) => isSubdivisionCode(value),
      defaultMessage: (args) => subdivisionCodeProblem(args?.property ?? 'subdivisionCode', args?.value),
    },
  });

export class CreateRegionDto {
  @ApiProperty({
    example: 'eu-west-1',
    pattern: REGION_CODE.source,
    maxLength: 63,
    description: 'Unique lowercase slug.',
  })
  @IsString()
  @Matches(REGION_CODE, { message: REGION_CODE_MESSAGE })
  code: string;

  @ApiProperty({ pattern: /\S/.source, example: 'AWS Europe (Ireland)', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name: string;

  @ApiProperty({
    example: 'IE',
    minLength: 2,
    maxLength: 2,
    description: 'Assigned ISO 3166-1 alpha-2 code, upper case (GB, not UK).',
  })
  @IsCountryCode()
  countryCode: string;

  @ApiPropertyOptional({
    type: String,
    example: 'IE-D',
    nullable: true,
    description: 'ISO 3166-2 code within countryCode (it starts with "<countryCode>-").',
  })
  @IsOptional()
  @IsSubdivisionCode()
  subdivisionCode?: string | null;

  @ApiPropertyOptional({
    type: String,
    example: 'Dublin',
    maxLength: 100,
    nullable: true,
    // The three @Matches below as one pattern: not like a formula, not blank, no commas or controls.
    pattern: `${NO_FORMULA_START.source}(?=.*\\S)${CITY_TEXT.source.slice(1)}`,
    description: 'Free text without commas or line breaks (geofeed CSV), not starting with = + - or @.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'city must not be blank' })
  @Matches(CITY_TEXT, { message: CITY_TEXT_MESSAGE })
  @Matches(NO_FORMULA_START, { message: NO_FORMULA_START_MESSAGE })
  city?: string | null;
}

/**
 * PATCH: any subset; null clears subdivisionCode or city; code, name and countryCode cannot be
 * cleared. The result (stored values with the patch applied) must still be consistent.
 */
export class UpdateRegionDto extends OmitType(CreateRegionDto, ['code', 'name', 'countryCode'] as const) {
  @ApiPropertyOptional({ example: 'eu-west-1', pattern: REGION_CODE.source, maxLength: 63 })
  @IsOptionalNotNull()
  @IsString()
  @Matches(REGION_CODE, { message: REGION_CODE_MESSAGE })
  code?: string;

  @ApiPropertyOptional({ pattern: /\S/.source, example: 'AWS Europe (Ireland)', maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name?: string;

  @ApiPropertyOptional({ example: 'IE', minLength: 2, maxLength: 2 })
  @IsOptionalNotNull()
  @IsCountryCode()
  countryCode?: string;
}

export class RegionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'eu-west-1' }) code: string;
  @ApiProperty({ example: 'AWS Europe (Ireland)' }) name: string;
  @ApiProperty({ example: 'IE' }) countryCode: string;
  @ApiProperty({ type: String, nullable: true, example: 'IE-D' }) subdivisionCode: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Dublin' }) city: string | null;
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class RegionPageDto extends PageDto {
  @ApiProperty({ type: [RegionDto] }) items: RegionDto[];
}

export class RegionQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'IE', description: 'ISO 3166-1 alpha-2 country code.' })
  @IsOptional()
  @IsCountryCode()
  countryCode?: string;

  @ApiPropertyOptional({ example: 'eu-west-1', pattern: REGION_CODE.source, description: 'Exact region code.' })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE, { message: REGION_CODE_MESSAGE })
  code?: string;
}
