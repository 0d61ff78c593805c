import { Database } from '../database/database.service';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { requestContext, Role } from '../common/request-context';
import { Forbidden, Unauthenticated } from '../errors/domain-errors';
import { AddressRateLimiter } from '../ratelimit/address-rate-limiter';
import { hashApiKey, sameHash } from './api-key.crypto';
import { ActiveApiKey, ApiKeysRepository } from './api-keys.repository';
import { PRE_AUTHENTICATED } from './pre-authenticated';
import { ALLOWED_ROLES, IS_PUBLIC } from './roles.decorator';

export const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i;
/** Public routes that probes and scrapers call often: never limited per address. */
const UNLIMITED_PUBLIC_PATHS = new Set(['/health', '/health/ready', '/metrics']);

/** The one guard: authenticates the bearer key, then checks the route's declared roles. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysRepository,
    private readonly addressLimits: AddressRateLimiter,
    private readonly db: Database,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const req = context.switchToHttp().getRequest<Request>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      if (!UNLIMITED_PUBLIC_PATHS.has(req.path)) await this.addressLimits.count('public', clientAddress(req));
      return true;
    }
    try {
      return await this.authenticate(context, req, targets);
    } catch (error) {
      // A 401 or 403 costs the address; over its budget the answer becomes 429.
      if (error instanceof Unauthenticated || error instanceof Forbidden)
        await this.addressLimits.count('auth-failure', clientAddress(req));
      throw error;
    }
  }

  private async authenticate(
    context: ExecutionContext,
    req: Request,
    targets: ReturnType<ExecutionContext['getHandler']>[],
  ): Promise<boolean> {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) throw new Unauthenticated();
    const hash = hashApiKey(match[1]);
    // A request with a body was authenticated before its body was read (bootstrap.ts).
    const key =
      (req as Request & { [PRE_AUTHENTICATED]?: ActiveApiKey })[PRE_AUTHENTICATED] ??
      (await this.keys.findActiveByHash(this.db, hash));
    if (!key || !sameHash(key.key_hash, hash)) throw new Unauthenticated('The API key is unknown or revoked.');

    const actor = { keyId: key.id, name: key.name, role: key.role };
    const ctx = requestContext.current();
    if (ctx) {
      ctx.actor = actor;
      ctx.primaryWalPosition = key.wal_position;
    }
    (req as Request & { actor?: typeof actor }).actor = actor;
    if (key.touch_due) this.keys.touch(this.db, key.id);

    const allowed = this.reflector.getAllAndOverride<Role[]>(ALLOWED_ROLES, targets) ?? [];
    if (!allowed.includes(key.role)) {
      throw new Forbidden(
        `The ${key.role} role may not ${req.method} ${req.route?.path ?? req.path}${allowed.length ? `; allowed roles: ${allowed.join(', ')}` : ''}.`,
      );
    }
    return true;
  }
}

function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
