import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { toIntegerOrRaw } from '../../common/pagination';
import { EVENT_TYPE_PATTERN } from '../event-types';

export class EventQuery {
  @ApiPropertyOptional({
    pattern: /^[A-Za-z0-9_-]{1,80}$/.source,
    description:
      "Resume after this position: the `nextCursor` (or an event's `cursor`) from a previous answer. Omit to start at the oldest event.",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,80}$/, { message: 'after must be a cursor from a previous answer of GET /events' })
  after?: string;

  @ApiPropertyOptional({
    example: 'lease.*',
    pattern: EVENT_TYPE_PATTERN.source,
    description: 'An exact event type, or a family such as `lease.*`.',
  })
  @IsOptional()
  @IsString()
  @Matches(EVENT_TYPE_PATTERN, {
    message: 'type must be an event type such as lease.created, or a family such as lease.*',
  })
  type?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only events about this entity.' })
  @IsOptional()
  @IsUUID('all', { message: 'entityId must be a UUID' })
  entityId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'Page size.' })
  @IsOptional()
  @Transform(toIntegerOrRaw)
  @IsInt({ message: 'limit must be an integer from 1 to 500' })
  @Min(1)
  @Max(500)
  limit?: number;
}

export class EventActorDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The API key that made the change.' })
  keyId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The key\'s name at the time (or "cli:<user>").' })
  name: string | null;
}

export class EventDto {
  @ApiProperty({ format: 'uuid', description: 'Also the `webhook-id` of every delivery of this event.' }) id: string;
  @ApiProperty({
    type: 'integer',
    example: 1042,
    description: 'Insertion sequence; unique, but not the feed order (see `cursor`).',
  })
  seq: number;
  @ApiProperty({ description: "This event's position in the feed: pass it as `after` to resume just after it." })
  cursor: string;
  @ApiProperty({ example: 'allocation.created' }) type: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ example: 'allocation' }) entityType: string;
  @ApiProperty({ format: 'uuid' }) entityId: string;
  @ApiProperty({
    type: EventActorDto,
    nullable: true,
    description: 'Who made the change; null for time-driven events written by the scheduler.',
  })
  actor: EventActorDto | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The id the server gave the request that made the change (as in the audit trail).',
  })
  requestId: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The caller's own X-Request-Id of that request, if it sent one; never used in place of requestId.",
  })
  clientRequestId: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'The API representation after the change (null for deletes). Scheduler events carry the entity as it is when they fire, plus `threshold` and `daysLeft` for notice deadlines.',
  })
  data: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The API representation before the change (null for creates and time-driven events).',
  })
  previous: unknown;
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto] }) items: EventDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Pass as `after` on the next poll. The feed has no last page: poll again with it later. It equals the `after` you sent when nothing new is ready (null if you sent none).',
  })
  nextCursor: string | null;
}
