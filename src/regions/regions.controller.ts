import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Allow, READ_INVENTORY, WRITE_INVENTORY } from '../auth/roles.decorator';
import { EtagFromVersion, IfMatch } from '../common/etag';
import type { ExpectedVersion } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { CreateRegionDto, RegionDto, RegionPageDto, RegionQuery, UpdateRegionDto } from './dto/region.dto';
import { RegionsService } from './regions.service';

@ApiTags('Regions')
@ApiBearerAuth()
@Controller('api/v1/regions')
export class RegionsController {
  constructor(private readonly regions: RegionsService) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listRegions',
    summary: 'List regions (where addresses are used; they feed the geofeed)',
  })
  @ApiOkResponse({
    type: RegionPageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProblems(400, 403)
  list(@Query() query: RegionQuery) {
    return this.regions.list(query);
  }

  @Post()
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'createRegion', summary: 'Create a region' })
  @ApiBody({
    type: CreateRegionDto,
    examples: {
      dublin: {
        summary: 'AWS eu-west-1 (Dublin, Ireland)',
        value: {
          code: 'eu-west-1',
          name: 'AWS Europe (Ireland)',
          countryCode: 'IE',
          subdivisionCode: 'IE-D',
          city: 'Dublin',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: RegionDto, description: 'Created; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateRegionDto) {
    return this.regions.create(dto);
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getRegion', summary: 'Get a region' })
  @ApiOkResponse({ type: RegionDto, description: 'The region; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.regions.get(id);
  }

  @Patch(':id')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'updateRegion', summary: 'Update a region' })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateRegionDto,
    examples: {
      city: { summary: 'Set the city, clear the subdivision', value: { city: 'Dublin', subdivisionCode: null } },
    },
  })
  @ApiOkResponse({
    type: RegionDto,
    description: 'The region after the change; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415)
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateRegionDto, @IfMatch() expected: ExpectedVersion) {
    return this.regions.update(id, dto, expected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'deleteRegion',
    summary: 'Delete or archive a region',
    description:
      'Deletes a region nothing ever referred to. One that only history refers to is archived: 404 on reads, absent from lists, refused as a reference in new writes, its unique code free for reuse; reports, history and audit keep its last label. While an active allocation refers to it: 409 IN_USE listing them in conflicts.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted, or archived when only history refers to it.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async delete(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.regions.delete(id, expected);
  }
}
