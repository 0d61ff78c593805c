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
import { CreateLessorDto, LessorDto, LessorPageDto, LessorQuery, UpdateLessorDto } from './dto/lessor.dto';
import { LessorsService } from './lessors.service';

@ApiTags('Lessors')
@ApiBearerAuth()
@Controller('api/v1/lessors')
export class LessorsController {
  constructor(private readonly lessors: LessorsService) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'listLessors', summary: 'List lessors (address holders we lease from)' })
  @ApiOkResponse({
    type: LessorPageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProblems(400, 403)
  list(@Query() query: LessorQuery) {
    return this.lessors.list(query);
  }

  @Post()
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'createLessor', summary: 'Create a lessor' })
  @ApiBody({
    type: CreateLessorDto,
    examples: {
      ripe: {
        summary: 'A RIPE address holder',
        value: {
          name: 'Example Networks Ltd',
          rir: 'RIPE',
          orgHandle: 'ORG-EN1-RIPE',
          contactEmail: 'leasing@example.net',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: LessorDto, description: 'Created; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateLessorDto) {
    return this.lessors.create(dto);
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getLessor', summary: 'Get a lessor' })
  @ApiOkResponse({ type: LessorDto, description: 'The lessor; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.lessors.get(id);
  }

  @Patch(':id')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({ operationId: 'updateLessor', summary: 'Update a lessor' })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateLessorDto,
    examples: {
      contact: { summary: 'New contact, notes cleared', value: { contactEmail: 'ipam@example.net', notes: null } },
    },
  })
  @ApiOkResponse({
    type: LessorDto,
    description: 'The lessor after the change; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415)
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateLessorDto, @IfMatch() expected: ExpectedVersion) {
    return this.lessors.update(id, dto, expected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'deleteLessor',
    summary: 'Delete or archive a lessor',
    description:
      'Deletes a lessor nothing ever referred to. One that only history refers to is archived: 404 on reads, absent from lists, refused as a reference in new writes, its unique name free for reuse; reports, history and audit keep its last label. While a lease neither terminated nor ended (or one still holding active allocations) refers to it: 409 IN_USE listing them in conflicts.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted, or archived when only history refers to it.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async delete(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.lessors.delete(id, expected);
  }
}
