import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key.crypto';
import { ApiKeysRepository } from './api-keys.repository';

const BOOTSTRAP_LOCK_ID = 7_433_002;

/**
 * ADMIN_API_KEY, when set, is an admin key (registered by hash on first start; revoking it
 * sticks). With no key at all and none configured, one admin key is generated and printed once.
 */
@Injectable()
export class ApiKeyBootstrap implements OnApplicationBootstrap {
  /** Set when this start generated a key; main.ts prints it once. */
  generatedKey?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
    private readonly db: Database,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.adminApiKey;
    if (configured) {
      await this.keys.insertIfAbsent({
        name: 'bootstrap-admin (ADMIN_API_KEY)',
        role: 'admin',
        hash: hashApiKey(configured),
        prefix: displayPrefix(configured),
      });
      return;
    }
    // Several instances may start at once; only one of them may mint the first key.
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_ID]);
      const [{ n }] = await tx.query<{ n: number }[]>('SELECT count(*)::int AS n FROM api_keys');
      if (n > 0) return;
      const key = generateApiKey();
      await this.keys.insert(tx, {
        name: 'generated-admin',
        role: 'admin',
        hash: hashApiKey(key),
        prefix: displayPrefix(key),
      });
      this.generatedKey = key;
    });
  }
}
