import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { FormatQuery } from '../../reports/dto/report-query.dto';
import { ListedDto } from '../../reputation/dto/listed.dto';

export const RPKI_STATES = ['valid', 'invalid', 'not-found', 'unknown-origin'] as const;

export class VrpDto {
  @ApiProperty({ type: 'integer', format: 'int64', example: 16509 }) asn: number;
  @ApiProperty({ example: '185.10.20.0/22' }) prefix: string;
  @ApiProperty({ type: 'integer', example: 24 }) maxLength: number;
}

export class RoutingRowDto {
  @ApiProperty({ format: 'uuid', description: 'The allocation id.' }) key: string;
  @ApiProperty({ example: '185.10.20.0/24', description: 'The allocation prefix.' }) label: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ format: 'uuid' }) leaseId: string;
  @ApiProperty({ format: 'uuid' }) providerId: string;
  @ApiProperty({ format: 'uuid' }) regionId: string;
  @ApiProperty({ type: 'integer', format: 'int64', nullable: true, example: 16509 }) originAsn: number | null;
  @ApiProperty({ enum: RPKI_STATES, description: 'RFC 6811 origin validation against the VRP snapshot in force.' })
  rpkiState: (typeof RPKI_STATES)[number];
  @ApiProperty({
    type: String,
    enum: ['as', 'length'],
    nullable: true,
    description:
      'For invalid: `as` when no covering VRP has the origin ASN, `length` when one has but its maxLength is shorter.',
  })
  invalidReason: 'as' | 'length' | null;
  @ApiProperty({ type: [VrpDto], description: 'The VRPs covering the prefix.' }) vrps: VrpDto[];
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description:
      'For providers with requiredOriginAsns: every required ASN is authorised and the length fits; null otherwise.',
  })
  byoipReady: boolean | null;
  @ApiProperty({ type: [String], description: 'One line per missing authorisation or broken rule.' })
  byoipProblems: string[];
  @ApiProperty({ type: [ListedDto], description: 'Reputation-list blocks that overlap the prefix.' })
  listed: ListedDto[];
}

export class RoutingReportDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The VRP snapshot used.' })
  rpkiImportedAt: string | null;
  @ApiProperty({ type: [RoutingRowDto] }) rows: RoutingRowDto[];
}

export class RoutingQuery extends FormatQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'leaseId must be a UUID' })
  leaseId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'providerId must be a UUID' })
  providerId?: string;
}

export const ROUTING_COLUMNS = [
  'key',
  'label',
  'name',
  'originAsn',
  'rpkiState',
  'invalidReason',
  'vrps',
  'byoipReady',
  'byoipProblems',
  'listed',
] as const;
