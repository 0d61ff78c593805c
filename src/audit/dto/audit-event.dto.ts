import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, ValidateBy } from 'class-validator';
import { PageDto, PageQuery } from '../../common/pagination';
import { AUDIT_ACTIONS } from '../audit.repository';
import type { AuditAction } from '../audit.repository';
import { AUDIT_ENTITY_TYPE_PATTERN } from '../entity-types';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** A full RFC 3339 timestamp with an offset, on a real calendar day ("2026-02-30T…" is refused). */
export function parseRfc3339(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day)
    return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = m[8];
  if (offset.length === 6 && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const date = new Date(value.toUpperCase());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const IsRfc3339 = () =>
  ValidateBy({
    name: 'isRfc3339',
    validator: {
      validate: (value: unknown) => parseRfc3339(value) !== undefined,
      defaultMessage: (args) => `${args?.property} must be an RFC 3339 timestamp such as 2026-01-31T00:00:00Z`,
    },
  });

const UUID_MESSAGE = (field: string) => ({ message: `${field} must be a UUID` });

export class AuditEventQuery extends PageQuery {
  @ApiPropertyOptional({
    example: 'lessor',
    pattern: /^[a-z][a-z_]{0,39}$/.source,
    description: 'The kind of entity: lessor, provider, region, lease, allocation, api_key, …',
  })
  @IsOptional()
  @IsString()
  @Matches(AUDIT_ENTITY_TYPE_PATTERN, {
    message: 'entityType must be a lower-case entity name such as lessor or api_key',
  })
  entityType?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', UUID_MESSAGE('entityId'))
  entityId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The API key that made the change.' })
  @IsOptional()
  @IsUUID('all', UUID_MESSAGE('actorKeyId'))
  actorKeyId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-01-01T00:00:00Z',
    description: 'Events at or after this instant (RFC 3339).',
  })
  @IsOptional()
  @IsRfc3339()
  since?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-02-01T00:00:00Z',
    description: 'Events before this instant (RFC 3339).',
  })
  @IsOptional()
  @IsRfc3339()
  until?: string;
}

export class AuditActorDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The API key that made the change; null for the CLI and startup tasks.',
  })
  keyId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The key\'s name at the time (or "cli:<user>").' }) name:
    string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: AuditAction;
  @ApiProperty({ example: 'lessor' }) entityType: string;
  @ApiProperty({ format: 'uuid' }) entityId: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The entity as it was before (null for create).',
  })
  before: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The entity as it is after (null for delete).',
  })
  after: unknown;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The id the server gave the request that made the change (in its logs as `req.id`); `cli-…` for the command-line tool, `startup-…` for changes made at start.',
  })
  requestId: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "The caller's own X-Request-Id, as sent (and echoed in the response); null when it sent none. Never trusted to identify the request.",
  })
  clientRequestId: string | null;
}

export class AuditEventPageDto extends PageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
}
