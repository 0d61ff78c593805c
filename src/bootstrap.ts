import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module';
import { keepAuthorizationForTheTab } from './openapi/swagger-ui-session';
import { BEARER } from './auth/api-key.guard';
import { hashApiKey } from './auth/api-key.crypto';
import { PRE_AUTHENTICATED } from './auth/pre-authenticated';
import { ActiveApiKey, ApiKeysRepository } from './auth/api-keys.repository';
import { BODY_ROUTES, bodyRouteFor, DEFAULT_BODY_LIMIT_BYTES, documentBodyRoutes } from './common/body-limits';
import { AddressRateLimiter } from './ratelimit/address-rate-limiter';
import { isRawBodyRequest, rawBodies } from './common/raw-body';
import { requestContext } from './common/request-context';
import { PinoNestLogger } from './common/logger';
import { repeatedQueryParameters, validationException } from './common/validation';
import type { AppConfig } from './config/config';
import type { Runtime } from './config/runtime';
import { ErrorCode, Unauthenticated, UnsupportedMediaType, ValidationFailed } from './errors/domain-errors';
import { AllowedMethods, ProblemFilter, sendProblem, toProblem } from './errors/problem.filter';
import { PROBLEM_TYPES, problemType } from './errors/problem';
import {
  BEARER_SCHEME,
  documentClosedRequestBodies,
  documentNullableRefs,
  documentResponseHeaders,
  documentUuidParams,
  documentSecurity,
  ProblemDto,
} from './common/openapi';
import { withExampleIds } from './common/openapi-examples';
import { ExampleIdsRepository } from './openapi/example-ids.repository';
import { Database, Queryable } from './database/database.service';
import { httpRequestDuration } from './health/metrics';
import { documentIdempotency } from './idempotency/idempotency.openapi';
import { documentUploads } from './common/uploads-openapi';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Everything that makes a Nest application into iplease: request ids, logs, body parsing,
 * validation, problem+json errors, security headers and Swagger. main.ts and the end-to-end
 * tests both go through here, so they serve exactly the same API.
 */
export function bootstrap(app: INestApplication, config: AppConfig, logger: Logger): void {
  const http = app.getHttpAdapter().getInstance() as express.Express;
  const server = app.getHttpServer() as Server;
  answerMalformedHttp(server);
  limitSlowClients(server, config);
  http.set('etag', false);
  http.set('query parser', 'simple');
  // Client addresses (rate limits per address) come from X-Forwarded-For only behind a trusted proxy.
  if (config.trustProxy !== undefined) http.set('trust proxy', config.trustProxy);

  app.use((req: Request, res: Response, next: NextFunction) => {
    // The server's own id is what the audit trail and logs trust; a caller's id is kept beside it
    // (and echoed, as the contract promises) but can never pose as another request's.
    const given = req.headers['x-request-id'];
    const clientRequestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', clientRequestId ?? requestId);
    requestContext.run({ requestId, clientRequestId }, next);
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: () => requestContext.current()?.requestId ?? randomUUID(),
      customProps: () => {
        const clientRequestId = requestContext.current()?.clientRequestId;
        return clientRequestId ? { clientRequestId } : {};
      },
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
  app.use((req: Request, _res: Response, next: NextFunction) => next(repeatedQueryParameters(req.query)));
  app.use(authenticateBeforeBody(app.get(ApiKeysRepository), app.get(Database), app.get(AddressRateLimiter)));
  app.use(rawBodies());
  app.use(refuseNonJsonBodies);
  app.use(bodyParsers());
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      if (req.body === undefined) req.body = {};
      else if (Array.isArray(req.body))
        return next(
          new ValidationFailed(
            [{ field: 'body', message: 'must be a JSON object' }],
            'The request body must be a JSON object, not an array.',
          ),
        );
    }
    // class-transformer recurses per level: a 1 MiB body nested thousands deep overflowed the stack (500).
    const defect = inspectBody(req.body, MAX_BODY_DEPTH, MAX_OBJECT_FIELDS);
    if (defect === 'too-deep') {
      return next(
        new ValidationFailed(
          [{ field: 'body', message: 'nested too deeply' }],
          `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`,
        ),
      );
    }
    if (defect === 'too-many-fields') {
      // Refused before validation: 50,000 unknown fields once cost 1.5 s of CPU and a 3 MB error.
      return next(
        new ValidationFailed(
          [{ field: 'body', message: `more than ${MAX_OBJECT_FIELDS} fields in one object` }],
          `An object in the request body has more than ${MAX_OBJECT_FIELDS} fields; no object of this API has that many.`,
        ),
      );
    }
    if (defect === 'ill-formed') {
      return next(
        new ValidationFailed(
          [{ field: 'body', message: 'ill-formed Unicode' }],
          'The request body contains a string that is not well-formed Unicode (a lone surrogate).',
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
  const document = buildOpenApiDocument(app);
  app.useGlobalFilters(new ProblemFilter(allowedMethodsOf(document)));
  setupSwagger(app, document);
}

/** Each documented path as a pattern, with its methods (HEAD wherever GET is), for 405 answers. */
function allowedMethodsOf(document: OpenAPIObject): AllowedMethods {
  const routes = Object.entries(document.paths).map(([template, item]) => {
    const methods = ['get', 'post', 'put', 'patch', 'delete'].filter((m) => m in item).map((m) => m.toUpperCase());
    if (methods.includes('GET')) methods.push('HEAD');
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+');
    return { path: new RegExp(`^${pattern}/?$`), methods };
  });
  return (path) => routes.find((route) => route.path.test(path))?.methods ?? [];
}

/** No request body of this API nests more than a few levels; 32 leaves room and stops stack exhaustion. */
export const MAX_BODY_DEPTH = 32;
/** No object of this API has more than a few dozen fields. */
export const MAX_OBJECT_FIELDS = 100;

/** Iterative (a recursive check would overflow on exactly the bodies it is meant to refuse). */
/**
 * One iterative pass over a parsed body: too deep, or a string that is not well-formed Unicode
 * (a lone surrogate, which some validators throw on and no field of this API can hold).
 */
export function inspectBody(
  value: unknown,
  maxDepth: number,
  maxFields = Infinity,
): 'too-deep' | 'ill-formed' | 'too-many-fields' | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return 'ill-formed';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return 'too-deep';
    const entries = Object.entries(current as object);
    if (!Array.isArray(current) && entries.length > maxFields) return 'too-many-fields';
    for (const [key, child] of entries) {
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
 * A client that trickles its headers or body would otherwise hold a connection for minutes (Node
 * checks only every 30 s, against a 300 s request timeout). Timeouts answer 408 and close; beyond
 * MAX_CONNECTIONS, new connections are closed at once.
 */
function limitSlowClients(server: Server, config: AppConfig): void {
  server.headersTimeout = config.headersTimeoutSeconds * 1000;
  server.requestTimeout = Math.max(config.requestTimeoutSeconds, config.headersTimeoutSeconds) * 1000;
  server.maxConnections = config.maxConnections;
  // Read when the server starts listening: how often the timeouts above are checked.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    config.headersTimeoutSeconds * 500,
  );
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
    const { code, reason, title, detail } = describeClientError(error.code);
    const { status } = PROBLEM_TYPES[code];
    const body = JSON.stringify({ type: problemType(code), title, status, detail, code });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

function describeClientError(nodeCode: string | undefined): {
  code: ErrorCode;
  reason: string;
  title: string;
  detail: string;
} {
  if (nodeCode === 'HPE_HEADER_OVERFLOW') {
    return {
      code: 'HEADERS_TOO_LARGE',
      reason: 'Request Header Fields Too Large',
      title: 'Request headers too large',
      detail: 'The request line and headers (the URL included) are larger than the server accepts (16 KiB).',
    };
  }
  if (nodeCode === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      code: 'REQUEST_TIMEOUT',
      reason: 'Request Timeout',
      title: 'Request timeout',
      detail: 'The request was not received in time (HEADERS_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS).',
    };
  }
  return {
    code: 'VALIDATION_FAILED',
    reason: 'Bad Request',
    title: 'Malformed HTTP request',
    detail: 'The request is not valid HTTP/1.1.',
  };
}

function carriesBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * A request that carries a body is authenticated before a byte of the body is read: without a
 * valid key the answer is 401 at once and the connection is closed, so unauthenticated clients
 * cannot make the service parse (and buffer) their bodies. The guard reuses the key found here.
 */
function authenticateBeforeBody(keys: ApiKeysRepository, db: Queryable, addressLimits: AddressRateLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!carriesBody(req)) return next();
    const refuse = (error: unknown) => {
      res.setHeader('Connection', 'close');
      next(error);
    };
    const match = BEARER.exec(req.headers.authorization ?? '');
    const lookup = match ? keys.findActiveByHash(db, hashApiKey(match[1])) : Promise.resolve(undefined);
    lookup.then(
      async (key) => {
        if (key) {
          (req as Request & { [PRE_AUTHENTICATED]?: ActiveApiKey })[PRE_AUTHENTICATED] = key;
          return next();
        }
        const unauthenticated = match
          ? new Unauthenticated('The API key is unknown or revoked.')
          : new Unauthenticated();
        try {
          await addressLimits.count('auth-failure', req.ip ?? req.socket.remoteAddress ?? 'unknown');
          refuse(unauthenticated);
        } catch (limited) {
          refuse(limited);
        }
      },
      (error: unknown) => refuse(error),
    );
  };
}

/** JSON everywhere (at the route's limit); the extra text types a bulk route declares, as a string. */
function bodyParsers() {
  const json = (limit: number) => express.json({ limit, strict: true, type: JSON_TYPES });
  const defaultJson = json(DEFAULT_BODY_LIMIT_BYTES);
  const perRoute = new Map(
    BODY_ROUTES.map((route) => [
      route,
      {
        json: json(route.limitBytes),
        text: route.textTypes?.length ? express.text({ limit: route.limitBytes, type: route.textTypes }) : undefined,
      },
    ]),
  );
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isRawBodyRequest(req)) return next();
    const route = bodyRouteFor(req.method, req.path);
    const parsers = route ? perRoute.get(route) : undefined;
    if (!parsers) return defaultJson(req, res, next);
    if (parsers.text && req.is(route?.textTypes ?? [])) return parsers.text(req, res, next);
    parsers.json(req, res, next);
  };
}

/** A body must be JSON (or a text type its route declares): anything else is refused with 415 before it is parsed. */
function refuseNonJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  if (isRawBodyRequest(req)) return next();
  const hasBody = carriesBody(req);
  const accepted = [...JSON_TYPES, ...(bodyRouteFor(req.method, req.path)?.textTypes ?? [])];
  if (hasBody && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) && !req.is(accepted)) {
    return next(
      new UnsupportedMediaType(
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
    .addTag('FX rates', 'ECB reference rates for reporting in one currency (finance).')
    .addTag('Invoices', "Lessors' invoices, checked against the expected cost (finance).")
    .addTag('Audit', 'Every change, who made it, before and after.')
    .addTag('API keys', 'Keys and their roles (admin only).')
    .addTag('Operations', 'Health, readiness and metrics; public, no key needed.')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDto],
    operationIdFactory: (_controller, method) => method,
  });
  return documentResponseHeaders(
    documentClosedRequestBodies(
      documentUuidParams(
        documentNullableRefs(documentUploads(documentBodyRoutes(documentIdempotency(documentSecurity(document, app))))),
        app,
      ),
    ),
  );
}

/**
 * The public document is static (placeholders where examples need ids): live ids are data, so they
 * are filled in only for a request that carries a valid key (Swagger UI refetches with it after
 * Authorize, src/openapi/swagger-ui-session.ts).
 */
function setupSwagger(app: INestApplication, document: OpenAPIObject): void {
  const db = app.get(Database);
  const keys = app.get(ApiKeysRepository);
  const exampleIds = new ExampleIdsRepository();
  const withKey = async (req: Request) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) return false;
    return (await keys.findActiveByHash(db, hashApiKey(match[1])).catch(() => undefined)) !== undefined;
  };
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // The spec must stay available while the database is not: then the placeholders stay.
    patchDocumentOnRequest: async (req, _res, served) =>
      (await withKey(req as Request)) ? withExampleIds(served, await exampleIds.newest(db).catch(() => ({}))) : served,
    customSiteTitle: 'iplease API',
    swaggerOptions: {
      persistAuthorization: false,
      displayOperationId: true,
      tryItOutEnabled: false,
      onComplete: keepAuthorizationForTheTab,
    },
  });
}

/** Creates and initialises the application exactly as production runs it. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  logger: Logger,
  runtime: Runtime = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, databaseUrl, runtime), {
    bodyParser: false,
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  bootstrap(app, config, logger);
  await app.init();
  return app;
}
