import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ADMIN_ONLY, Allow } from '../auth/roles.decorator';
import { EtagFromVersion, IfMatch } from '../common/etag';
import type { ExpectedVersion } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { PageQuery } from '../common/pagination';
import { UuidPipe } from '../common/params';
import {
  CreateWebhookDto,
  DeliveryDto,
  DeliveryPageDto,
  DeliveryQuery,
  UpdateWebhookDto,
  WebhookDto,
  WebhookPageDto,
  WebhookWithSecretDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('Webhooks')
@ApiBearerAuth()
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'listWebhooks', summary: 'List webhook subscriptions (secrets are never listed)' })
  @ApiOkResponse({ type: WebhookPageDto, description: 'One page in creation order.' })
  @ApiProblems(400, 403)
  list(@Query() query: PageQuery) {
    return this.webhooks.list(query);
  }

  @Post()
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe a URL to events (Standard Webhooks signing)',
    description:
      'The answer alone carries the signing `secret`. Deliveries are `POST url` with `{type, timestamp, data: <event>}` and the headers `webhook-id`, `webhook-timestamp`, `webhook-signature`.',
  })
  @ApiBody({
    type: CreateWebhookDto,
    examples: {
      leases: {
        summary: 'Lease and new-allocation events',
        value: {
          url: 'https://hooks.example.net/iplease',
          eventTypes: ['lease.*', 'allocation.created'],
          description: 'Provisioning automation',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: WebhookWithSecretDto, description: 'Created; store `secret` now.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateWebhookDto) {
    return this.webhooks.create(dto);
  }

  @Get(':id')
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get a webhook subscription' })
  @ApiOkResponse({ type: WebhookDto, description: 'The webhook; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'updateWebhook', summary: 'Update a webhook (also: reactivate after a 410)' })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateWebhookDto,
    examples: { everything: { summary: 'All events, active again', value: { eventTypes: ['*'], active: true } } },
  })
  @ApiOkResponse({ type: WebhookDto, description: 'The webhook after the change.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404, 412, 413, 415)
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateWebhookDto, @IfMatch() expected: ExpectedVersion) {
    return this.webhooks.update(id, dto, expected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...ADMIN_ONLY)
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a webhook and its delivery log' })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted; queued deliveries are dropped.' })
  @ApiProblems(400, 403, 404, 412)
  async delete(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.webhooks.delete(id, expected);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Replace the signing secret',
    description: 'The new secret signs every attempt made from now on, retries included; the old one stops at once.',
  })
  @ApiIfMatch()
  @ApiOkResponse({
    type: WebhookWithSecretDto,
    description: 'The webhook with its new `secret`, shown only here; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 412, 422)
  @EtagFromVersion()
  rotate(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion) {
    return this.webhooks.rotateSecret(id, expected);
  }

  @Get(':id/deliveries')
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'The delivery log: one entry per attempt, oldest first',
  })
  @ApiOkResponse({
    type: DeliveryPageDto,
    description: 'One page of attempts in the order they were queued; pass nextCursor as ?cursor= for the next.',
  })
  @ApiProblems(400, 403, 404)
  deliveries(@Param('id', UuidPipe) id: string, @Query() query: DeliveryQuery) {
    return this.webhooks.deliveryLog(id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: "Send that delivery's event again",
    description:
      'Queues a new attempt, due now, with the same `webhook-id` (the event id). An inactive webhook keeps it queued until reactivated.',
  })
  @ApiAcceptedResponse({ type: DeliveryDto, description: 'The queued attempt.' })
  @ApiProblems(400, 403, 404, 422)
  redeliver(@Param('id', UuidPipe) id: string, @Param('deliveryId', UuidPipe) deliveryId: string) {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
