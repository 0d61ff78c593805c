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
import { CreateProviderDto, ProviderDto, ProviderPageDto, ProviderQuery, UpdateProviderDto } from './dto/provider.dto';
import { ProvidersService } from './providers.service';

@ApiTags('Providers')
@ApiBearerAuth()
@Controller('api/v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listProviders',
    summary: 'List providers (clouds and networks allocations are assigned to)',
  })
  @ApiOkResponse({
    type: ProviderPageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProblems(400, 403)
  list(@Query() query: ProviderQuery) {
    return this.providers.list(query);
  }

  @Post()
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'createProvider', summary: 'Create a provider' })
  @ApiBody({
    type: CreateProviderDto,
    examples: {
      byoip: {
        summary: 'AWS BYOIP (/24 or shorter)',
        value: { code: 'aws', name: 'Amazon Web Services (BYOIP)', minPrefixLength: 8, maxPrefixLength: 24 },
      },
    },
  })
  @ApiCreatedResponse({ type: ProviderDto, description: 'Created; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateProviderDto) {
    return this.providers.create(dto);
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getProvider', summary: 'Get a provider' })
  @ApiOkResponse({ type: ProviderDto, description: 'The provider; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.providers.get(id);
  }

  @Patch(':id')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'updateProvider', summary: 'Update a provider' })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateProviderDto,
    examples: {
      byoip: {
        summary: 'Allow only /24 or shorter',
        value: { maxPrefixLength: 24, notes: 'BYOIP needs /24 or shorter' },
      },
    },
  })
  @ApiOkResponse({
    type: ProviderDto,
    description: 'The provider after the change; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415)
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateProviderDto, @IfMatch() expected: ExpectedVersion) {
    return this.providers.update(id, dto, expected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'deleteProvider',
    summary: 'Delete or archive a provider',
    description:
      'Deletes a provider nothing ever referred to. One that only history refers to is archived: 404 on reads, absent from lists, refused as a reference in new writes, its unique code free for reuse; reports, history and audit keep its last label. While an active allocation refers to it: 409 IN_USE listing them in conflicts.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted, or archived when only history refers to it.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async delete(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.providers.delete(id, expected);
  }
}
