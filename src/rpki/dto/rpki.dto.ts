import { ApiProperty } from '@nestjs/swagger';
import { VRP_FORMATS } from '../vrp-formats';

export class RpkiStatusDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the VRP snapshot in force was imported; null before the first import.',
  })
  importedAt: string | null;
  @ApiProperty({ type: 'integer', example: 512034, description: 'IPv4 VRPs in the snapshot.' }) vrps: number;
  @ApiProperty({ type: 'integer', example: 148211, description: 'IPv6 entries of the file, counted and skipped.' })
  skipped: number;
  @ApiProperty({ type: String, enum: VRP_FORMATS, nullable: true }) format: string | null;
}
