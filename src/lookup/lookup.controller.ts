import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Allow, READ_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { IsAddressOrPrefix } from '../common/validators';
import { LeaseDto } from '../leases/dto/lease.dto';
import { LessorDto } from '../lessors/dto/lessor.dto';
import { LookupService } from './lookup.service';

export class LookupQuery {
  @ApiProperty({ example: '185.10.20.7', description: 'An IPv4 address or canonical prefix.' })
  @IsAddressOrPrefix()
  ip: string;
}

export class LookupAllocationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '185.10.20.0/26' }) prefix: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
}

export class LookupRegionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'eu-west-1' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'IE' }) countryCode: string;
}

export class LookupProviderDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'aws' }) code: string;
  @ApiProperty() name: string;
}

export class LookupResultDto {
  @ApiProperty({ example: '185.10.20.7' }) query: string;
  @ApiProperty({ type: LeaseDto }) lease: LeaseDto;
  @ApiProperty({ type: LessorDto }) lessor: LessorDto;
  @ApiProperty({
    type: LookupAllocationDto,
    nullable: true,
    description: 'null when no active allocation covers the address.',
  })
  allocation: LookupAllocationDto | null;
  @ApiProperty({
    type: LookupRegionDto,
    nullable: true,
    description: 'null when no active allocation covers the address.',
  })
  region: LookupRegionDto | null;
  @ApiProperty({
    type: LookupProviderDto,
    nullable: true,
    description: 'null when no active allocation covers the address.',
  })
  provider: LookupProviderDto | null;
}

@ApiTags('Lookup')
@ApiBearerAuth()
@Controller('api/v1/lookup')
export class LookupController {
  constructor(private readonly lookup: LookupService) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'lookupAddress',
    summary: 'Who holds this address today?',
    description:
      'The lease, lessor, allocation, region and provider covering an address or prefix today; 404 when no lease covers it.',
  })
  @ApiOkResponse({
    type: LookupResultDto,
    description: 'The lease covering the address today, and the allocation within it if any.',
  })
  @ApiProblems(400, 403, 404)
  find(@Query() query: LookupQuery): Promise<LookupResultDto> {
    return this.lookup.find(query.ip);
  }
}
