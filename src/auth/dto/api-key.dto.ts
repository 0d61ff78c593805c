import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageDto, PageQuery } from '../../common/pagination';
import { ROLES } from '../../common/request-context';
import type { Role } from '../../common/request-context';

const ROLE_MESSAGE = `role must be one of ${ROLES.join(', ')}`;

export class CreateApiKeyDto {
  @ApiProperty({
    pattern: /^[^\p{Cc}]*\S[^\p{Cc}]*$/u.source,
    example: 'terraform-ci',
    maxLength: 100,
    description: 'What the key is for; shown in lists and the audit trail.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*\S[^\p{Cc}]*$/u, { message: 'name must not be blank or contain control characters' })
  name: string;

  @ApiProperty({
    enum: ROLES,
    example: 'engineer',
    description:
      'admin: everything incl. keys; engineer: read/write inventory and allocations; finance: read everything and reports; viewer: read inventory.',
  })
  @IsIn(ROLES, { message: ROLE_MESSAGE })
  role: Role;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'terraform-ci' }) name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ipl_',
    description:
      'The fixed marker of a generated key (`ipl_`), never any of its secret characters; null for a key an operator chose (ADMIN_API_KEY), of which nothing is shown.',
  })
  keyPrefix: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute.' })
  lastUsedAt: string | null;
  @ApiProperty({ type: 'integer', example: 1, description: 'Bumped by every change (revocation); the ETag.' })
  version: number;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiPropertyOptional({
    example: 'ipl_Xk3v9Q0uYH7m2l2o8yQnJ0q2Vd3c7kq4nT1wQy5fZ9E',
    description:
      'The secret, shown only in this response: it is stored as a hash. An idempotent replay of this request omits it ' +
      '(a lost key cannot be recovered: revoke it and create another).',
  })
  key?: string;
}

export class ApiKeyPageDto extends PageDto {
  @ApiProperty({ type: [ApiKeyDto] }) items: ApiKeyDto[];
}

export class ApiKeyQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES, { message: ROLE_MESSAGE })
  role?: Role;
}
