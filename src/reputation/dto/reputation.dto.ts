import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class ReputationListNameParam {
  @ApiProperty({ example: 'spamhaus-drop', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })
  @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, {
    message:
      'name must be a lowercase slug: a letter or digit, then up to 62 letters, digits, dots, dashes or underscores',
  })
  name: string;
}

export class ReputationListDto {
  @ApiProperty({ example: 'spamhaus-drop' }) name: string;
  @ApiProperty({ enum: ['spamhaus-drop-ndjson', 'spamhaus-drop-text'] }) format: string;
  @ApiProperty({ format: 'date-time' }) importedAt: string;
  @ApiProperty({ type: 'integer', example: 1342, description: 'IPv4 blocks listed.' }) entries: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'IPv6 blocks, counted and skipped.' }) skipped: number;
  @ApiProperty({
    type: Object,
    nullable: true,
    description: 'The NDJSON metadata footer as published (timestamp, records, copyright…).',
  })
  metadata: Record<string, unknown> | null;
}

export class ReputationListPageDto {
  @ApiProperty({ type: [ReputationListDto] }) items: ReputationListDto[];
}
