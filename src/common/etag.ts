import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import { ValidationFailed } from '../errors/domain-errors';

/** RFC 9110 entity-tag: optional W/, then any visible characters but `"` between double quotes. */
const ENTITY_TAG = /^\s*(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*$/;

/**
 * The versions a conditional write accepts, from If-Match: undefined when the write is
 * unconditional (header absent or "*"); otherwise the listed versions. A well-formed tag that is
 * not one of ours matches nothing (412); a header that is not a list of entity tags at all
 * (`If-Match: 3`, unquoted) is refused as malformed (400 naming If-Match).
 */
export type ExpectedVersion = readonly number[] | undefined;

export function parseIfMatch(header: string | undefined): ExpectedVersion {
  if (header === undefined || header.trim() === '*') return undefined;
  const tags = header.split(',').map((tag) => ENTITY_TAG.exec(tag));
  if (tags.some((m) => m === null)) {
    throw ValidationFailed.field(
      'If-Match',
      'If-Match must be * or a list of quoted entity tags as ETag sends them, like "3" (with the quotes)',
    );
  }
  return tags.map((m) => /^\d{1,9}$/.exec((m as RegExpExecArray)[1])).flatMap((v) => (v ? [Number(v[0])] : []));
}

export function versionMatches(expected: ExpectedVersion, version: number): boolean {
  return expected === undefined || expected.includes(version);
}

/** The request's If-Match as an ExpectedVersion, so services never see the header. */
export const IfMatch = createParamDecorator((_: unknown, context: ExecutionContext): ExpectedVersion =>
  parseIfMatch(context.switchToHttp().getRequest<Request>().headers['if-match']),
);

/**
 * ETag from the returned entity's version, on every response whose body is one versioned entity.
 * Applied per handler (inside the global idempotency interceptor, which stores the ETag with a
 * response it may replay).
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      tap((body: unknown) => {
        const version = (body as { version?: unknown } | null | undefined)?.version;
        if (typeof version === 'number') res.setHeader('ETag', `"${version}"`);
      }),
    );
  }
}

/** The handler answers one versioned entity: its ETag is the entity's version. */
export const EtagFromVersion = () => UseInterceptors(EtagInterceptor);
