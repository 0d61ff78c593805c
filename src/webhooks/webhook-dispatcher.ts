import { Writes } from '../persistence/writes';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { toEventDto } from '../events/events.mapper';
import { setOldestUndeliveredSource, webhookDeliveries } from '../health/metrics';
import { sendWebhook } from './webhook-sender';
import { ClaimedDelivery, DeliveriesRepository, DeliveryResult } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

const POLL_MS = 500;
const BATCH = 16;
/** A claim outlives the HTTP timeout by this much, so a live instance always records its result first. */
const CLAIM_MARGIN_SECONDS = 15;

/**
 * Every instance runs one: claims due attempts, sends them, records each outcome and queues the
 * retry. Claims are leases in the database, so a crash loses nothing (the attempt is claimed
 * again once its lease runs out, with the same webhook-id) and instances never share an attempt.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private running?: Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly writes: Writes,
    private readonly deliveries: DeliveriesRepository,
    private readonly webhooks: WebhooksService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    setOldestUndeliveredSource(() => this.deliveries.oldestUndeliveredAgeSeconds(this.db));
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.drain().finally(() => (this.running = undefined));
    }, delayMs);
    this.timer.unref();
  }

  /** Claims and sends until nothing is due, then sleeps for POLL_MS. */
  async drain(): Promise<void> {
    let full = false;
    try {
      const claimed = await this.deliveries.claim(
        this.db,
        BATCH,
        this.config.webhookTimeoutSeconds + CLAIM_MARGIN_SECONDS,
        randomUUID(),
      );
      full = claimed.length === BATCH;
      await Promise.all(claimed.map((c) => this.deliver(c)));
    } catch (error) {
      this.logger.warn({ msg: 'webhook dispatch failed; will retry', err: error });
    } finally {
      this.schedule(full ? 0 : POLL_MS);
    }
  }

  private async deliver(claimed: ClaimedDelivery): Promise<void> {
    const event = toEventDto({ ...claimed.event, occurred_at: new Date(claimed.event.occurred_at) });
    const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event });
    const sent = await sendWebhook(
      { url: claimed.url, secret: claimed.secret, id: event.id, body },
      {
        timeoutMs: this.config.webhookTimeoutSeconds * 1000,
        allowPrivateTargets: this.config.webhookAllowPrivateTargets,
      },
    );
    const retries = this.config.webhookRetrySeconds;
    const retryable = sent.outcome === 'failed' && claimed.attempt <= retries.length;
    const result: DeliveryResult = {
      status: sent.outcome === 'succeeded' ? 'succeeded' : retryable ? 'failed' : 'gave-up',
      responseStatus: sent.responseStatus,
      durationMs: sent.durationMs,
      error: sent.error,
      retryInSeconds: retryable ? retries[claimed.attempt - 1] : undefined,
    };
    const counted = await this.writes.transaction((tx) => this.deliveries.complete(tx, claimed, result));
    if (!counted) return;
    webhookDeliveries.inc({ outcome: sent.outcome === 'refused' ? 'refused' : result.status });
    if (sent.outcome === 'gone') await this.webhooks.deactivate(claimed.webhook_id);
  }
}
