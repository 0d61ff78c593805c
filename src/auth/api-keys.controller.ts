import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { EtagFromVersion, IfMatch } from '../common/etag';
import type { ExpectedVersion } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { SecretResponseFields } from '../idempotency/idempotency.interceptor';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, ApiKeyPageDto, ApiKeyQuery, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { ADMIN_ONLY, Allow } from './roles.decorator';

@ApiTags('API keys')
@ApiBearerAuth()
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Allow(...ADMIN_ONLY)
  @SecretResponseFields('key')
  @ApiOperation({ operationId: 'createApiKey', summary: 'Create an API key (the secret is in this response only)' })
  @ApiBody({
    type: CreateApiKeyDto,
    examples: { automation: { summary: 'A key for a CI pipeline', value: { name: 'terraform-ci', role: 'engineer' } } },
  })
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    description: 'Created; `key` is the secret, shown only here. ETag is its version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(dto);
  }

  @Get()
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'listApiKeys', summary: 'List API keys, revoked ones included (never the secret)' })
  @ApiOkResponse({
    type: ApiKeyPageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProblems(400, 403)
  list(@Query() query: ApiKeyQuery) {
    return this.keys.list(query);
  }

  @Get(':id')
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'getApiKey', summary: 'Get an API key (never the secret)' })
  @ApiOkResponse({
    type: ApiKeyDto,
    description: 'The key (never the secret); ETag is its version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string): Promise<ApiKeyDto> {
    return this.keys.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key, effective immediately',
    description:
      'Revoking an already revoked key changes nothing (204). The last active admin key cannot be revoked (409 IN_USE).',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async revoke(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.keys.revoke(id, expected);
  }
}
