import { NoControlCharacters } from '../../common/validators';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';

export const RIRS = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'] as const;
export type Rir = (typeof RIRS)[number];

export class CreateLessorDto {
  @ApiProperty({
    pattern: /\S/.source,
    example: 'Example Networks Ltd',
    maxLength: 200,
    description: 'Unique (case-insensitive).',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name: string;

  @ApiProperty({ enum: RIRS, example: 'RIPE' })
  @IsIn(RIRS, { message: `rir must be one of ${RIRS.join(', ')}` })
  rir: Rir;

  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$',
    type: String,
    example: 'ORG-EN1-RIPE',
    maxLength: 64,
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, {
    message: 'orgHandle must be an RIR handle: letters, digits and dashes',
  })
  orgHandle?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'email',
    example: 'leasing@example.net',
    maxLength: 254,
    nullable: true,
  })
  @IsOptional()
  @IsEmail({}, { message: 'contactEmail must be an email address' })
  @MaxLength(254)
  contactEmail?: string | null;

  @ApiPropertyOptional({ type: String, example: 'Framework agreement 2026', maxLength: 10000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string | null;
}

/** PATCH: any subset; null clears an optional field; name and rir cannot be cleared. */
export class UpdateLessorDto extends OmitType(CreateLessorDto, ['name', 'rir'] as const) {
  @ApiPropertyOptional({ pattern: /\S/.source, example: 'Example Networks Ltd', maxLength: 200 })
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  @NoControlCharacters()
  name?: string;

  @ApiPropertyOptional({ enum: RIRS, example: 'RIPE' })
  @IsOptionalNotNull()
  @IsIn(RIRS, { message: `rir must be one of ${RIRS.join(', ')}` })
  rir?: Rir;
}

export class LessorDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: RIRS }) rir: Rir;
  @ApiProperty({ type: String, nullable: true }) orgHandle: string | null;
  @ApiProperty({ type: String, nullable: true }) contactEmail: string | null;
  @ApiProperty({ type: String, nullable: true }) notes: string | null;
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class LessorPageDto extends PageDto {
  @ApiProperty({ type: [LessorDto] }) items: LessorDto[];
}

export class LessorQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RIRS })
  @IsOptional()
  @IsIn(RIRS, { message: `rir must be one of ${RIRS.join(', ')}` })
  rir?: Rir;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
