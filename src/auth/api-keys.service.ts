import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { AuditRepository } from '../audit/audit.repository';
import { keyset, Page, PageQuery, toPage } from '../common/pagination';
import type { Role } from '../common/request-context';
import { Database } from '../database/database.service';
import { InUse, NotFound } from '../errors/domain-errors';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key.crypto';
import { ApiKeyRow, ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

const ENTITY = 'api_key';

export function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    keyPrefix: row.key_prefix,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

/** API keys: created with a secret shown once, listed without it, revoked at once. Shared by the API and the CLI. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditRepository,
    private readonly db: Database,
    private readonly writes: Writes,
  ) {}

  async create(input: { name: string; role: Role }): Promise<CreatedApiKeyDto> {
    const key = generateApiKey();
    const view = await this.writes.transaction(async (tx) => {
      const row = await this.keys.insert(tx, {
        name: input.name,
        role: input.role,
        hash: hashApiKey(key),
        prefix: displayPrefix(key),
      });
      const view = toApiKeyDto(row);
      await this.audit.record(tx, { action: 'create', entityType: ENTITY, entityId: row.id, after: view });
      return view;
    });
    return { ...view, key };
  }

  async list(query: PageQuery & { role?: Role }): Promise<Page<ApiKeyDto>> {
    const page = keyset(query);
    return toPage(await this.keys.list(this.db, page, query.role), page.limit, toApiKeyDto);
  }

  async get(id: string): Promise<ApiKeyDto> {
    const row = await this.keys.findById(this.db, id);
    if (!row) throw new NotFound('API key', id);
    return toApiKeyDto(row);
  }

  /**
   * Revokes a key; the guard looks keys up on every request, so it stops working at once.
   * Revoking a revoked key changes nothing. The last active admin key cannot be revoked.
   */
  async revoke(id: string): Promise<ApiKeyDto> {
    return this.writes.transaction(async (tx) => {
      const peek = await this.keys.findById(tx, id);
      if (!peek) throw new NotFound('API key', id);
      // Lock the admin keys first (in one order) whenever an admin key may be revoked, so two
      // admins revoking each other serialise instead of leaving nobody with access.
      const activeAdmins = peek.role === 'admin' && !peek.revoked_at ? await this.keys.lockActiveAdmins(tx) : undefined;
      const current = await this.keys.lockById(tx, id);
      if (!current) throw new NotFound('API key', id);
      if (current.revoked_at) return toApiKeyDto(current);
      if (activeAdmins && activeAdmins.every((adminId) => adminId === id)) {
        throw new InUse(
          `API key ${id} ("${current.name}") is the last active admin key; create another admin key before revoking this one, so the service is not left without an administrator.`,
          [],
        );
      }
      const revoked = await this.keys.revoke(tx, id);
      await this.audit.record(tx, {
        action: 'revoke',
        entityType: ENTITY,
        entityId: id,
        before: toApiKeyDto(current),
        after: toApiKeyDto(revoked),
      });
      return toApiKeyDto(revoked);
    });
  }
}
