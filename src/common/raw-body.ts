import { createHash } from 'node:crypto';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { UnsupportedMediaType } from '../errors/domain-errors';
import { BODY_ROUTES, BodyRoute } from './body-limits';

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

export function isRawBodyRequest(req: Request): boolean {
  return (req as RawBodyRequest).rawBody !== undefined;
}

/**
 * Reads the bodies of the upload routes (BODY_ROUTES with `rawTypes`) as bytes into `req.rawBody`.
 * `req.body` becomes `{ sha256 }` so an Idempotency-Key fingerprint still tells two files apart. A
 * request without an Authorization header is not read at all: the guard refuses it first.
 */
export function rawBodies(routes: BodyRoute[] = BODY_ROUTES): RequestHandler {
  const readers = routes
    .filter((route) => route.rawTypes?.length)
    .map((route) => ({
      route,
      types: route.rawTypes ?? [],
      read: express.raw({ type: () => true, limit: route.limitBytes }),
    }));
  return (req: Request, res: Response, next: NextFunction) => {
    const match = readers.find(({ route }) => route.method === req.method && route.path.test(req.path));
    if (!match) return next();
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (req.headers.authorization === undefined || !hasBody) {
      // Not read, and not left to the JSON parser either: the guard answers 401 first.
      markRead(req, Buffer.alloc(0), {});
      return next();
    }
    const [type, ...parameters] = String(req.headers['content-type'] ?? '').split(';');
    const charset = parameters.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
    if (!match.types.includes(type.trim().toLowerCase()) || (charset && !/^charset="?utf-8"?$/.test(charset))) {
      return next(
        new UnsupportedMediaType(
          `This route takes ${match.types.join(', ')} in UTF-8 (got ${String(req.headers['content-type'] ?? 'no Content-Type').slice(0, 80)}).`,
        ),
      );
    }
    match.read(req, res, (error?: unknown) => {
      if (error) return next(error);
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      markRead(req, raw, { sha256: createHash('sha256').update(raw).digest('hex') });
      next();
    });
  };
}

/** `_body` is body-parser's own "already read" flag: later parsers leave the request alone. */
function markRead(req: Request, raw: Buffer, body: object): void {
  (req as RawBodyRequest).rawBody = raw;
  (req as Request & { _body?: boolean })._body = true;
  req.body = body;
}
