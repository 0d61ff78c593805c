import { Injectable } from '@nestjs/common';
import { keyset, Page, PageQuery, toPage } from '../common/pagination';
import type { Role } from '../common/request-context';
import type { ExpectedVersion } from '../common/etag';
import { EntitySpec, Writes } from '../persistence/writes';
import { Database } from '../database/database.service';
import { InUse, NotFound } from '../errors/domain-errors';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key.crypto';
import { ApiKeyRow, ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

export function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    keyPrefix: row.key_prefix,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    version: row.version,
  };
}

/** API keys: created with a secret shown once, listed without it, revoked at once. Shared by the API and the CLI. */
@Injectable()
export class ApiKeysService {
  private readonly spec: EntitySpec<ApiKeyRow, ApiKeyDto>;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly db: Database,
    private readonly writes: Writes,
  ) {
    this.spec = { type: 'api_key', label: 'API key', repository: keys, toView: toApiKeyDto };
  }

  async create(input: { name: string; role: Role }): Promise<CreatedApiKeyDto> {
    const key = generateApiKey();
    const view = await this.writes.create(this.spec, (tx) =>
      this.keys.insertKey(tx, {
        name: input.name,
        role: input.role,
        hash: hashApiKey(key),
        prefix: displayPrefix(key),
      }),
    );
    return { ...view, key };
  }

  async list(query: PageQuery & { role?: Role }): Promise<Page<ApiKeyDto>> {
    const page = keyset(query);
    return toPage(await this.keys.search(this.db, page, query.role), page.limit, toApiKeyDto);
  }

  get(id: string): Promise<ApiKeyDto> {
    return this.writes.get(this.spec, id);
  }

  /**
   * Revokes a key; the guard looks keys up on every request, so it stops working at once.
   * Revoking a revoked key changes nothing. The last active admin key cannot be revoked.
   */
  revoke(id: string, expected?: ExpectedVersion): Promise<ApiKeyDto> {
    return this.writes.transaction(async (tx) => {
      const peek = await this.keys.findById(tx, id);
      if (!peek) throw new NotFound('API key', id);
      // Lock the admin keys first (in one order) whenever an admin key may be revoked, so two
      // admins revoking each other serialise instead of leaving nobody with access.
      const activeAdmins = peek.role === 'admin' && !peek.revoked_at ? await this.keys.lockActiveAdmins(tx) : undefined;
      const current = await this.writes.lockForChange(tx, this.spec, id, expected);
      if (current.revoked_at) return toApiKeyDto(current);
      if (activeAdmins && activeAdmins.every((adminId) => adminId === id)) {
        throw new InUse(
          `API key ${id} ("${current.name}") is the last active admin key; create another admin key before revoking this one, so the service is not left without an administrator.`,
          [],
        );
      }
      const revoked = toApiKeyDto(await this.keys.revoke(tx, id));
      await this.writes.record(tx, this.spec, 'revoke', id, toApiKeyDto(current), revoked);
      return revoked;
    });
  }
}
