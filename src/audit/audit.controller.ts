import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_AUDIT } from '../auth/roles.decorator';
import { keyset, Page, toPage } from '../common/pagination';
import { ApiProblems } from '../common/openapi';
import { Database } from '../database/database.service';
import { Forbidden, ValidationFailed } from '../errors/domain-errors';
import { requestContext } from '../common/request-context';

const API_KEY_ENTITY = 'api_key';
import { AuditEventRow, AuditRepository } from './audit.repository';
import { AuditEventDto, AuditEventPageDto, AuditEventQuery, parseRfc3339 } from './dto/audit-event.dto';

export function toAuditEventDto(row: AuditEventRow): AuditEventDto {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { keyId: row.actor_key_id, name: row.actor_name },
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
    requestId: row.request_id,
    clientRequestId: row.client_request_id,
  };
}

/** The audit trail is read-only over HTTP: there is deliberately no route that changes it. */
@ApiTags('Audit')
@ApiBearerAuth()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(
    private readonly audit: AuditRepository,
    private readonly db: Database,
  ) {}

  @Get()
  @Allow(...READ_AUDIT)
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: 'List audit events (every change, who made it, before and after)',
    description:
      'Oldest first. `since` is inclusive, `until` exclusive. Events are written in the same transaction as the change they record and are never edited. ' +
      'Events about API keys (`entityType=api_key`) are visible to admins only: other roles get 403 when they ask for them and never see them in other lists.',
  })
  @ApiOkResponse({
    type: AuditEventPageDto,
    description: 'One page, oldest first; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProblems(400, 403)
  async list(@Query() query: AuditEventQuery): Promise<Page<AuditEventDto>> {
    // Listing API keys is admin-only; their audit events (names, roles, prefixes) are too.
    const isAdmin = requestContext.current()?.actor?.role === 'admin';
    if (!isAdmin && query.entityType === API_KEY_ENTITY) {
      throw new Forbidden('Audit events about API keys are visible to admins only.');
    }
    const since = query.since === undefined ? undefined : parseRfc3339(query.since);
    const until = query.until === undefined ? undefined : parseRfc3339(query.until);
    if (since && until && since > until) throw ValidationFailed.field('until', 'until must not be before since');
    const page = keyset(query);
    const rows = await this.audit.search(this.db, page, {
      entityType: query.entityType,
      entityId: query.entityId?.toLowerCase(),
      actorKeyId: query.actorKeyId?.toLowerCase(),
      action: query.action,
      hiddenEntityTypes: isAdmin ? [] : [API_KEY_ENTITY],
      since,
      until,
    });
    return toPage(rows, page.limit, toAuditEventDto);
  }
}
