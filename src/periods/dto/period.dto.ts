import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { MONTH_PATTERN } from '../../reports/dto/report-query.dto';

export const PERIOD_ACTIONS = ['close', 'reopen'] as const;
export type PeriodAction = (typeof PERIOD_ACTIONS)[number];

export class ClosePeriodDto {
  @ApiProperty({
    example: '2026-09',
    pattern: MONTH_PATTERN.source,
    description: 'Close this month and every earlier one. Only months that have ended.',
  })
  @Matches(MONTH_PATTERN, { message: 'through must be a calendar month YYYY-MM, like 2026-09' })
  through: string;
}

export class ReopenPeriodDto {
  @ApiProperty({
    pattern: MONTH_PATTERN.source,
    type: String,
    nullable: true,
    example: '2026-08',
    description: 'The new last closed month (earlier than the current one), or null to reopen every month.',
  })
  @ValidateIf((_, value) => value !== null)
  @Matches(MONTH_PATTERN, { message: 'through must be a calendar month YYYY-MM or null' })
  through: string | null;

  @ApiProperty({ example: 'Invoice 2026-09 from RIPE Lessor Ltd was corrected', minLength: 1, maxLength: 1000 })
  @IsString({ message: 'reason must be a non-empty string' })
  @MinLength(1, { message: 'reason must be a non-empty string' })
  @MaxLength(1000)
  reason: string;
}

export class PeriodActorDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) keyId: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'finance-bot' }) name: string | null;
}

export class PeriodEventDto {
  @ApiProperty({ enum: PERIOD_ACTIONS }) action: PeriodAction;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-09',
    description: 'The last closed month after this action (null: none).',
  })
  through: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: PeriodActorDto }) actor: PeriodActorDto;
}

export class PeriodsDto {
  @ApiProperty({ type: String, nullable: true, example: '2026-09', description: 'The last closed month, or null.' })
  closedThrough: string | null;
  @ApiProperty({ type: [PeriodEventDto], description: 'Every close and reopen, oldest first.' })
  history: PeriodEventDto[];
}
