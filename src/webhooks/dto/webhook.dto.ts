import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageDto, PageQuery } from '../../common/pagination';
import { IsOptionalNotNull } from '../../common/validation';
import { EVENT_TYPE_PATTERN } from '../../events/event-types';
import { MAX_URL_LENGTH } from '../webhook-target';

const EVENT_TYPES_MESSAGE =
  'each event type must be "*", a family such as "lease.*", or a type such as "lease.expired"';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.net/iplease',
    maxLength: MAX_URL_LENGTH,
    description:
      'http(s) URL. Private, loopback, link-local and other special-purpose destinations are refused, also after DNS resolution (unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true).',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: EVENT_TYPE_PATTERN.source },

    example: ['lease.*', 'allocation.created'],
    description: 'Event types to receive: "*" for all, "lease.*" for a family, or exact types.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(EVENT_TYPE_PATTERN, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes: string[];

  @ApiPropertyOptional({ type: String, example: 'Provisioning automation', maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({
    default: true,
    description:
      'Inactive webhooks receive nothing: events are not queued for them, and attempts queued earlier wait until reactivated.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

/** PATCH: any subset; description may be cleared with null. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: 'https://hooks.example.net/iplease-v2', maxLength: MAX_URL_LENGTH })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: EVENT_TYPE_PATTERN.source }, example: ['*'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(EVENT_TYPE_PATTERN, { each: true, message: EVENT_TYPES_MESSAGE })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: String, maxLength: 1000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ description: 'Set true to resume a webhook that a 410 answer deactivated.' })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://hooks.example.net/iplease' }) url: string;
  @ApiProperty({ type: [String], example: ['lease.*', 'allocation.created'] }) eventTypes: string[];
  @ApiProperty({ type: String, nullable: true, example: 'Provisioning automation' }) description: string | null;
  @ApiProperty({ description: 'False after the receiver answered 410 Gone, or when switched off.' }) active: boolean;
  @ApiProperty({ type: 'integer', example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (`whsec_` + base64 of 32 random bytes). Shown only in this answer: store it now.',
  })
  secret: string;
}

export class WebhookPageDto extends PageDto {
  @ApiProperty({ type: [WebhookDto] }) items: WebhookDto[];
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'gave-up'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export class DeliveryQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only attempts to deliver this event.' })
  @IsOptional()
  @IsUUID('all', { message: 'eventId must be a UUID' })
  eventId?: string;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'The event; also the `webhook-id` header of the delivery.' })
  eventId: string;
  @ApiProperty({ example: 'allocation.created' }) eventType: string;
  @ApiProperty({
    type: 'integer',
    example: 1,
    description: '1 for the first attempt, +1 for each retry or manual redelivery.',
  })
  attempt: number;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description:
      'pending: not yet made (due at nextAttemptAt); succeeded: 2xx; failed: will be retried (at nextAttemptAt); gave-up: no retry follows (last attempt failed, 410, or refused destination).',
  })
  status: DeliveryStatus;
  @ApiProperty({ type: 'integer', nullable: true, example: 200 }) responseStatus: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 37 }) durationMs: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503: busy' }) error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the attempt was made.' })
  at: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When this pending attempt is due, or when the retry of this failed attempt is.',
  })
  nextAttemptAt: string | null;
}

export class DeliveryPageDto extends PageDto {
  @ApiProperty({ type: [DeliveryDto] }) items: DeliveryDto[];
}
