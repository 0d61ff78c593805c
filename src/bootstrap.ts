import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module';
import { isRawBodyRequest, rawBodies } from './common/raw-body';
import { requestContext } from './common/request-context';
import { PinoNestLogger } from './common/logger';
import { validationException } from './common/validation';
import type { AppConfig } from './config/config';
import { DomainError } from './errors/domain-errors';
import { ProblemFilter, sendProblem, toProblem } from './errors/problem.filter';
import { problemType } from './errors/problem';
import { BEARER_SCHEME, documentSecurity, ProblemDto } from './common/openapi';
import { withExampleIds } from './common/openapi-examples';
import { Database } from './database/database.service';
import { httpRequestDuration } from './health/metrics';
import { documentIdempotency } from './idempotency/idempotency.openapi';
import { documentUploads } from './common/uploads-openapi';

export const BODY_LIMIT = '1mb';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Everything that makes a Nest application into iplease: request ids, logs, body parsing,
 * validation, problem+json errors, security headers and Swagger. main.ts and the end-to-end
 * tests both go through here, so they serve exactly the same API.
 */
export function bootstrap(app: INestApplication, config: AppConfig, logger: Logger): void {
  const http = app.getHttpAdapter().getInstance() as express.Express;
  answerMalformedHttp(app.getHttpServer() as Server);
  http.set('etag', false);
  http.set('query parser', 'simple');
  // Client addresses (rate limits per address) come from X-Forwarded-For only behind a trusted proxy.
  if (config.trustProxy !== undefined) http.set('trust proxy', config.trustProxy);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    requestContext.run({ requestId }, next);
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => res.getHeader('X-Request-Id') as string,
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: redactQuerySecrets(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = httpRequestDuration.startTimer({ method: req.method });
    res.on('finish', () =>
      end({ route: (req.route?.path as string | undefined) ?? 'unmatched', status: String(res.statusCode) }),
    );
    next();
  });
  // Plain-HTTP deployments behind a proxy are common for internal tools: no HSTS, no forced upgrades.
  app.use(
    helmet({
      strictTransportSecurity: false,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  app.use(rawBodies());
  app.use(refuseNonJsonBodies);
  const json = express.json({ limit: BODY_LIMIT, strict: true, type: JSON_TYPES });
  app.use((req: Request, res: Response, next: NextFunction) => (isRawBodyRequest(req) ? next() : json(req, res, next)));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      if (req.body === undefined) req.body = {};
      else if (Array.isArray(req.body))
        return next(
          new DomainError('VALIDATION_FAILED', 'The request body must be a JSON object, not an array.', {
            errors: [{ field: 'body', message: 'must be a JSON object' }],
          }),
        );
    }
    // class-transformer recurses per level: a 1 MiB body nested thousands deep overflowed the stack (500).
    const defect = inspectBody(req.body, MAX_BODY_DEPTH);
    if (defect === 'too-deep') {
      return next(
        new DomainError('VALIDATION_FAILED', `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`, {
          errors: [{ field: 'body', message: 'nested too deeply' }],
        }),
      );
    }
    if (defect === 'ill-formed') {
      return next(
        new DomainError(
          'VALIDATION_FAILED',
          'The request body contains a string that is not well-formed Unicode (a lone surrogate).',
          { errors: [{ field: 'body', message: 'ill-formed Unicode' }] },
        ),
      );
    }
    next();
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const { problem, retryAfterSeconds, unexpected } = toProblem(error, req);
    if (unexpected) logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error before routing');
    sendProblem(res, { ...problem, instance: req.path }, retryAfterSeconds);
  });

  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      exceptionFactory: validationException,
    }),
  );
  app.useGlobalFilters(new ProblemFilter());
  setupSwagger(app);
}

/** No request body of this API nests more than a few levels; 32 leaves room and stops stack exhaustion. */
export const MAX_BODY_DEPTH = 32;

/** Iterative (a recursive check would overflow on exactly the bodies it is meant to refuse). */
/**
 * One iterative pass over a parsed body: too deep, or a string that is not well-formed Unicode
 * (a lone surrogate, which some validators throw on and no field of this API can hold).
 */
export function inspectBody(value: unknown, maxDepth: number): 'too-deep' | 'ill-formed' | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return 'ill-formed';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return 'too-deep';
    for (const [key, child] of Object.entries(current as object)) {
      if (!key.isWellFormed()) return 'ill-formed';
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

const SECRET_QUERY_PARAM = /([?&](?:[^=&]*(?:key|token|secret|password|auth)[^=&]*)=)[^&]*/gi;

/** Keys belong in the Authorization header; one sent in a query string by mistake still stays out of the logs. */
export function redactQuerySecrets(url: string): string {
  return url.replace(SECRET_QUERY_PARAM, '$1[redacted]');
}

/**
 * Requests Node's HTTP parser rejects (oversized headers, a garbage request line) never reach
 * Express; answer them with problem+json too instead of an empty body.
 */
function answerMalformedHttp(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: problemType('VALIDATION_FAILED'),
      title: tooLarge ? 'Request headers too large' : 'Malformed HTTP request',
      status,
      detail: tooLarge
        ? 'The request headers are larger than the server accepts (16 KiB).'
        : 'The request is not valid HTTP/1.1.',
      code: 'VALIDATION_FAILED',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** A body must be JSON: anything else is refused with 415 before it is parsed. */
function refuseNonJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (isRawBodyRequest(req)) return next();
  if (hasBody && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) && !req.is(JSON_TYPES)) {
    return next(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Request bodies must be application/json (got ${String(req.headers['content-type'] ?? 'no Content-Type').slice(0, 80)}).`,
      ),
    );
  }
  next();
}

export function buildOpenApiDocument(app: INestApplication) {
  const config = new DocumentBuilder()
    .setTitle('iplease')
    .setDescription(
      'IPv4 address lease and allocation service: the leases we hold, the allocations carved from them, what is free and what it costs.\n\n' +
        'Authenticate with **Authorize** and an API key (`Authorization: Bearer <key>`). Errors are RFC 9457 `application/problem+json` with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'iplease API key', description: 'An iplease API key (ipl_…).' },
      BEARER_SCHEME,
    )
    // Relative: the API is wherever this document was fetched from (Swagger UI, generated clients).
    .addServer('/', 'This iplease instance')
    .addTag('Lessors', 'Address holders we lease from.')
    .addTag('Leases', 'Leased prefixes: terms, prices, renewals; and what is still free in each.')
    .addTag('Allocations', 'Blocks carved from leases for a region and a provider; next-free allocation.')
    .addTag('Regions', 'Where addresses are used; they feed the geofeed.')
    .addTag('Providers', 'Clouds and networks allocations are assigned to, with their prefix-length rules.')
    .addTag('Lookup', 'Who holds an address today.')
    .addTag('Reports', 'Finance: costs, renewals, utilisation and forecasts (JSON or CSV).')
    .addTag('Audit', 'Every change, who made it, before and after.')
    .addTag('API keys', 'Keys and their roles (admin only).')
    .addTag('Operations', 'Health, readiness and metrics; public, no key needed.')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto],
    operationIdFactory: (_controller, method) => method,
  });
  return documentUploads(documentIdempotency(documentSecurity(document, app)));
}

function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  const db = app.get(Database);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    patchDocumentOnRequest: (_req, _res, served) => withExampleIds(served, db),
    customSiteTitle: 'iplease API',
    swaggerOptions: { persistAuthorization: false, displayOperationId: true, tryItOutEnabled: false },
  });
}

/** Creates and initialises the application exactly as production runs it. */
export async function createApp(config: AppConfig, databaseUrl: string, logger: Logger): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, databaseUrl), {
    bodyParser: false,
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  bootstrap(app, config, logger);
  await app.init();
  return app;
}
