import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { requestContext, Role } from '../common/request-context';
import { Forbidden, Unauthenticated } from '../errors/domain-errors';
import { hashApiKey, sameHash } from './api-key.crypto';
import { ApiKeysRepository } from './api-keys.repository';
import { ALLOWED_ROLES, IS_PUBLIC } from './roles.decorator';

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i;

/** The one guard: authenticates the bearer key, then checks the route's declared roles. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<Request>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) throw new Unauthenticated();
    const hash = hashApiKey(match[1]);
    const key = await this.keys.findActiveByHash(hash);
    if (!key || !sameHash(key.key_hash, hash)) throw new Unauthenticated('The API key is unknown or revoked.');

    const actor = { keyId: key.id, name: key.name, role: key.role };
    const ctx = requestContext.current();
    if (ctx) ctx.actor = actor;
    (req as Request & { actor?: typeof actor }).actor = actor;
    this.keys.touch(key.id);

    const allowed = this.reflector.getAllAndOverride<Role[]>(ALLOWED_ROLES, targets) ?? [];
    if (!allowed.includes(key.role)) {
      throw new Forbidden(
        `The ${key.role} role may not ${req.method} ${req.route?.path ?? req.path}${allowed.length ? `; allowed roles: ${allowed.join(', ')}` : ''}.`,
      );
    }
    return true;
  }
}
