import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';

export const IMPORT_KINDS = ['leases', 'allocations'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ImportQuery {
  @ApiPropertyOptional({ type: Boolean, description: 'Validate every row and answer 200, writing nothing.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'Skip columns this import does not know (a NetBox export has more) instead of refusing them.',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'ignoreUnknownColumns must be true or false' })
  ignoreUnknownColumns?: boolean;
}

export class ImportKindParam {
  @ApiProperty({ enum: IMPORT_KINDS })
  @IsIn(IMPORT_KINDS, { message: 'kind must be leases or allocations' })
  kind: ImportKind;
}

export class ImportResultDto {
  @ApiProperty({ enum: IMPORT_KINDS }) kind: ImportKind;
  @ApiProperty({ example: false }) dryRun: boolean;
  @ApiProperty({ type: 'integer', example: 120, description: 'Data rows read (the header not counted).' }) rows: number;
  @ApiProperty({
    type: 'integer',
    example: 120,
    description: 'Leases or allocations created (in a dry run: that would be created).',
  })
  created: number;
  @ApiPropertyOptional({
    type: 'integer',
    example: 2,
    description: 'Lease imports: lessors created by name (in a dry run: that would be).',
  })
  lessorsCreated?: number;
}
