import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { Database } from '../database/database.service';
import { decodeEventCursor } from './event-cursor';
import { EventPageDto, EventQuery } from './dto/event.dto';
import { EventsRepository } from './events.repository';
import { toEventDto } from './events.mapper';

@ApiTags('Events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class EventsController {
  constructor(
    private readonly events: EventsRepository,
    private readonly db: Database,
  ) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'Poll the event feed (every committed change, and time-driven lease events)',
    description:
      'Events in commit-safe order: an event is served only once every transaction that started before it has ended, so polling with `after=<nextCursor>` never misses or repeats an event, also with several instances writing at once. An event becomes visible here a moment after its commit (as soon as older transactions end).',
  })
  @ApiOkResponse({ type: EventPageDto, description: 'The next events after `after`, oldest first.' })
  @ApiProblems(400, 403)
  async list(@Query() query: EventQuery): Promise<EventPageDto> {
    const after = query.after === undefined ? undefined : decodeEventCursor(query.after);
    const limit = query.limit ?? 50;
    const rows = await this.events.page(
      this.db,
      after,
      { type: query.type, entityId: query.entityId?.toLowerCase() },
      limit,
    );
    const items = rows.slice(0, limit).map(toEventDto);
    return { items, nextCursor: items.length > 0 ? items[items.length - 1].cursor : (query.after ?? null) };
  }
}
