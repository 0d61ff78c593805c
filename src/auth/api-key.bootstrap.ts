import { Writes } from '../persistence/writes';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key.crypto';
import { ApiKeysRepository } from './api-keys.repository';
import { toApiKeyDto } from './api-keys.service';
import { AuditRepository } from '../audit/audit.repository';
import { requestContext } from '../common/request-context';
import { randomUUID } from 'node:crypto';

export const BOOTSTRAP_KEY_NAME = 'bootstrap-admin (ADMIN_API_KEY)';

/**
 * ADMIN_API_KEY, when set, is an admin key (registered by hash on first start; revoking it
 * sticks; changing it revokes the previous one). With no key at all and none configured, one admin key is generated and printed once.
 */
@Injectable()
export class ApiKeyBootstrap implements OnApplicationBootstrap {
  /** Set when this start generated a key; main.ts prints it once. */
  generatedKey?: string;
  /** Bootstrap keys this start revoked because ADMIN_API_KEY changed. */
  readonly revokedPreviousKeys: string[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
    private readonly writes: Writes,
    private readonly audit: AuditRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.adminApiKey;
    if (configured) {
      await requestContext.run(
        { requestId: `startup-${randomUUID()}`, operator: 'iplease startup (ADMIN_API_KEY)' },
        () => this.registerConfiguredKey(configured),
      );
      return;
    }
    // Several instances may start at once; only one of them may mint the first key.
    await this.mintFirstKey();
  }

  /**
   * Registers ADMIN_API_KEY and revokes the bootstrap key it replaces, so "rotating" a leaked key
   * by changing the variable really ends it. Both steps are audited. If the configured key itself
   * was revoked (a revocation sticks), the old one stays: revoking it would leave no bootstrap admin.
   */
  private async registerConfiguredKey(configured: string): Promise<void> {
    const hash = hashApiKey(configured);
    await this.writes.transaction(async (tx) => {
      await this.keys.lockForBootstrap(tx);
      const inserted = await this.keys.insertIfAbsent(tx, {
        name: BOOTSTRAP_KEY_NAME,
        role: 'admin',
        hash,
        // A chosen secret shows nothing, even when it looks like a generated key.
        prefix: null,
      });
      if (inserted) {
        await this.audit.record(tx, {
          action: 'create',
          entityType: 'api_key',
          entityId: inserted.id,
          after: toApiKeyDto(inserted),
        });
      }
      const current = inserted ?? (await this.keys.findByHash(tx, hash));
      if (!current || current.revoked_at) return;
      for (const previous of await this.keys.lockActiveByNameExcept(tx, BOOTSTRAP_KEY_NAME, hash)) {
        const revoked = await this.keys.revoke(tx, previous.id);
        await this.audit.record(tx, {
          action: 'revoke',
          entityType: 'api_key',
          entityId: previous.id,
          before: toApiKeyDto(previous),
          after: toApiKeyDto(revoked),
        });
        this.revokedPreviousKeys.push(previous.id);
      }
    });
  }

  private async mintFirstKey(): Promise<void> {
    await this.writes.transaction(async (tx) => {
      await this.keys.lockForBootstrap(tx);
      if (await this.keys.anyExists(tx)) return;
      const key = generateApiKey();
      await this.keys.insertKey(tx, {
        name: 'generated-admin',
        role: 'admin',
        hash: hashApiKey(key),
        prefix: displayPrefix(key),
      });
      this.generatedKey = key;
    });
  }
}
