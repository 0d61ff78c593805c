import { ApiProperty } from '@nestjs/swagger';

export class ListedDto {
  @ApiProperty({ example: 'spamhaus-drop' }) list: string;
  @ApiProperty({ example: '185.10.20.0/22' }) cidr: string;
  @ApiProperty({ type: String, nullable: true, example: 'SBL123456' }) ref: string | null;
}
