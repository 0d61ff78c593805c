import { Database } from '../database/database.service';
import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, defer, from, mergeMap, Observable, of } from 'rxjs';
import { Actor, IdempotencyClaim, requestContext } from '../common/request-context';
import { ValidationFailed } from '../errors/domain-errors';
import { toProblem } from '../errors/problem.filter';
import { IDEMPOTENCY_KEY_PATTERN, requestFingerprint } from './fingerprint';
import { IdempotencyKeyInUse, IdempotencyKeyReused, IdempotencyRaceLost } from './idempotency.errors';
import { IdempotencyRepository, IdempotencyRow, StoredResponse } from './idempotency.repository';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const SECRET_RESPONSE_FIELDS = 'iplease:secret-response-fields';
/** Response headers that belong to the response and are replayed with it. */
const REPLAYED_RESPONSE_HEADERS = ['etag', 'location', 'content-type', 'retry-after'];
const POLL_INTERVAL_MS = 25;
const WAIT_FOR_TWIN_MS = 5_000;

/**
 * Top-level response fields that are never stored for replay (a new API key): a replay omits them,
 * because storing them would keep a secret in plain text for a day.
 */
export const SecretResponseFields = (...fields: string[]) => SetMetadata(SECRET_RESPONSE_FIELDS, fields);

/**
 * Idempotency-Key on POST. The interceptor only reads and replays; the claim itself is written by
 * Database.transaction as the first statement of the request's transaction, so a change and its
 * claim commit together and a concurrent twin is stopped by the primary key, not by a race-prone
 * check. After the handler returns, the response is stored on the claimed row. Requests that commit
 * nothing (refused input, dry runs without a transaction) claim nothing: a retry simply runs again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(
    private readonly store: IdempotencyRepository,
    private readonly db: Database,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { actor?: Actor }>();
    const res = http.getResponse<Response>();
    const header = req.headers['idempotency-key'];
    if (req.method !== 'POST' || header === undefined) return next.handle();

    const key = parseIdempotencyKey(header);
    const ctx = requestContext.current();
    const actor = req.actor ?? ctx?.actor;
    // Keys are scoped to the calling API key; a public POST has none to scope to.
    if (!actor || !ctx) return next.handle();

    const queryAt = req.originalUrl.indexOf('?');
    const path = queryAt < 0 ? req.originalUrl : req.originalUrl.slice(0, queryAt);
    const queryString = queryAt < 0 ? '' : req.originalUrl.slice(queryAt + 1);
    const claim: IdempotencyClaim = {
      apiKeyId: actor.keyId,
      key,
      fingerprint: requestFingerprint(req.method, path, queryString, req.body),
      method: req.method,
      path,
      claimed: false,
    };
    const secretFields = this.reflector.get<string[] | undefined>(SECRET_RESPONSE_FIELDS, context.getHandler()) ?? [];

    return defer(async () => {
      const existing = await this.store.find(this.db, claim.apiKeyId, claim.key);
      if (existing) return of(await this.replay(claim, res, existing));
      ctx.idempotency = claim;
      return next.handle().pipe(
        mergeMap(async (body: unknown) => {
          if (claim.claimed)
            await this.record(claim, {
              status: res.statusCode,
              headers: replayedHeaders(res),
              body: serialise(body, secretFields),
            });
          return body;
        }),
        catchError((error: unknown) => from(this.afterError(error, claim, req, res, path))),
      );
    }).pipe(mergeMap((response) => response));
  }

  private async afterError(
    error: unknown,
    claim: IdempotencyClaim,
    req: Request,
    res: Response,
    path: string,
  ): Promise<unknown> {
    // A twin committed this key first: this request's transaction rolled back; answer as the twin did.
    if (error instanceof IdempotencyRaceLost) return this.replay(claim, res);
    // The change committed but a later step failed: that failure is the request's answer from now on.
    if (claim.claimed) {
      const { problem, retryAfterSeconds } = toProblem(error, req);
      const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
      if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
      await this.record(claim, {
        status: problem.status,
        headers,
        body: JSON.stringify({ ...problem, instance: path }),
      });
    }
    throw error;
  }

  /** Replays the stored response, waiting briefly for a twin that committed but has not stored it yet. */
  private async replay(claim: IdempotencyClaim, res: Response, first?: IdempotencyRow): Promise<unknown> {
    const deadline = Date.now() + WAIT_FOR_TWIN_MS;
    let row = first ?? (await this.store.find(this.db, claim.apiKeyId, claim.key));
    for (;;) {
      if (!row) throw new IdempotencyKeyInUse();
      if (!row.fingerprint.equals(claim.fingerprint)) throw new IdempotencyKeyReused();
      if (row.response || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      row = await this.store.find(this.db, claim.apiKeyId, claim.key);
    }
    if (!row.response) {
      throw new IdempotencyKeyInUse(
        'A request with this Idempotency-Key was accepted and its change committed, but its response has not been recorded ' +
          '(it is still finishing, or the service stopped right after committing). It will not run twice: retry shortly, or read the resource instead.',
      );
    }
    res.status(row.response.status);
    for (const [name, value] of Object.entries(row.response.headers)) res.setHeader(name, value);
    res.setHeader(REPLAYED_HEADER, 'true');
    return row.response.body === null ? undefined : JSON.parse(row.response.body);
  }

  private async record(claim: IdempotencyClaim, response: StoredResponse): Promise<void> {
    try {
      await this.store.complete(this.db, claim.apiKeyId, claim.key, response);
    } catch (error) {
      // The change is committed; a retry will get 409 IDEMPOTENCY_KEY_IN_USE rather than a duplicate.
      this.logger.warn({
        msg: 'could not store the response for an Idempotency-Key',
        err: error,
        apiKeyId: claim.apiKeyId,
      });
    }
  }
}

export function parseIdempotencyKey(header: string | string[]): string {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw ValidationFailed.field(
      IDEMPOTENCY_HEADER,
      `${IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters`,
    );
  }
  return value;
}

function serialise(body: unknown, secretFields: string[]): string | null {
  if (body === undefined) return null;
  if (secretFields.length && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const copy = { ...(body as Record<string, unknown>) };
    for (const field of secretFields) delete copy[field];
    return JSON.stringify(copy);
  }
  return JSON.stringify(body);
}

function replayedHeaders(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_RESPONSE_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}
