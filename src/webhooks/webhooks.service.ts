import type { ExpectedVersion } from '../common/etag';
import { Inject, Injectable } from '@nestjs/common';
import { keyset, Page, PageQuery, toPage } from '../common/pagination';
import { EntitySpec, Writes } from '../persistence/writes';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { NotFound, ValidationFailed } from '../errors/domain-errors';
import {
  CreateWebhookDto,
  DeliveryDto,
  DeliveryQuery,
  UpdateWebhookDto,
  WebhookDto,
  WebhookWithSecretDto,
} from './dto/webhook.dto';
import { checkUrlShape, targetRefusal } from './webhook-target';
import { generateWebhookSecret } from './webhook-signature';
import { DeliveriesRepository, DeliveryRow, WebhookRow, WebhooksRepository } from './webhooks.repository';

export function toWebhookDto(row: WebhookRow): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    active: row.active,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toDeliveryDto(row: DeliveryRow): DeliveryDto {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    attempt: row.attempt,
    status: row.status,
    responseStatus: row.response_status,
    durationMs: row.duration_ms,
    error: row.error,
    at: row.at ? row.at.toISOString() : null,
    nextAttemptAt: row.next_attempt_at ? row.next_attempt_at.toISOString() : null,
  };
}

/** Subscriptions: the event and audit trail see them without their secret (toWebhookDto has none). */
@Injectable()
export class WebhooksService {
  readonly spec: EntitySpec<WebhookRow, WebhookDto>;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly writes: Writes,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.spec = { type: 'webhook', repository: webhooks, toView: toWebhookDto };
  }

  async list(query: PageQuery): Promise<Page<WebhookDto>> {
    const page = keyset(query);
    return toPage(await this.webhooks.search(this.db, page), page.limit, toWebhookDto);
  }

  get(id: string): Promise<WebhookDto> {
    return this.writes.get(this.spec, id);
  }

  async create(dto: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    const url = await this.checkTarget(dto.url);
    const secret = generateWebhookSecret();
    const view = await this.writes.create(this.spec, (tx) =>
      this.webhooks.insert(tx, {
        url,
        event_types: dedupe(dto.eventTypes),
        description: dto.description ?? null,
        active: dto.active ?? true,
        secret,
      }),
    );
    return { ...view, secret };
  }

  async update(id: string, dto: UpdateWebhookDto, expected?: ExpectedVersion): Promise<WebhookDto> {
    const values: Record<string, unknown> = {};
    if (dto.url !== undefined) values.url = await this.checkTarget(dto.url);
    if (dto.eventTypes !== undefined) values.event_types = dedupe(dto.eventTypes);
    if (dto.description !== undefined) values.description = dto.description;
    if (dto.active !== undefined) values.active = dto.active;
    return this.writes.update(this.spec, id, expected, values);
  }

  delete(id: string, expected?: ExpectedVersion): Promise<void> {
    return this.writes.delete(this.spec, id, expected);
  }

  /** A new secret takes effect at once for every later attempt; the old one stops signing. */
  async rotateSecret(id: string, expected?: ExpectedVersion): Promise<WebhookWithSecretDto> {
    const secret = generateWebhookSecret();
    const view = (await this.writes.mutate(this.spec, id, expected, 'update', (tx) =>
      this.webhooks.update(tx, id, { secret }),
    )) as WebhookDto;
    return { ...view, secret };
  }

  /** Turns a webhook off after its receiver answered 410 Gone; recorded like any change. */
  async deactivate(id: string): Promise<void> {
    await this.writes
      .mutate(this.spec, id, undefined, 'update', async (tx, current) =>
        current.active ? this.webhooks.update(tx, id, { active: false }) : current,
      )
      .catch((error) => {
        if (!(error instanceof NotFound)) throw error;
      });
  }

  async deliveryLog(id: string, query: DeliveryQuery): Promise<Page<DeliveryDto>> {
    await this.get(id);
    const page = keyset(query);
    const rows = await this.deliveries.search(this.db, id, page, {
      status: query.status,
      eventId: query.eventId?.toLowerCase(),
    });
    return toPage(rows, page.limit, toDeliveryDto);
  }

  async redeliver(id: string, deliveryId: string): Promise<DeliveryDto> {
    await this.get(id);
    const row = await this.writes.transaction((tx) => this.deliveries.redeliver(tx, id, deliveryId));
    if (!row) throw new NotFound('delivery', deliveryId);
    return toDeliveryDto(row);
  }

  /** The URL as stored, or 400 naming `url`: bad shape, or a special-purpose destination. */
  private async checkTarget(text: string): Promise<string> {
    const shape = checkUrlShape(text);
    if (!shape.ok) throw ValidationFailed.field('url', shape.message);
    if (!this.config.webhookAllowPrivateTargets) {
      const refusal = await targetRefusal(shape.url);
      if (refusal)
        throw ValidationFailed.field(
          'url',
          `${refusal}: webhook targets in private, loopback, link-local or other special-purpose space are refused`,
        );
    }
    // Stored as given, so clients that compare configuration (Terraform) see no drift.
    return text;
  }
}

function dedupe(types: string[]): string[] {
  return [...new Set(types)];
}
