import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import * as path from 'node:path';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value;
};

const SECRET_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_APP_URL',
  'DATABASE_REPLICA_URL',
  'ADMIN_API_KEY',
  'METRICS_TOKEN',
] as const;

/** What `Authorization: Bearer <secret>` can carry (RFC 6750 token68). */
export const BEARER_ALPHABET = /^[A-Za-z0-9._~+/=-]*$/;
export const MIN_SECRET_LENGTH = 24;
export const MIN_DISTINCT_CHARACTERS = 8;

/**
 * Why a chosen secret is refused, or undefined when it is acceptable: at least 24 characters, at
 * least 8 distinct ones, and only characters a bearer header can carry (any other could never
 * match, which would lock the admin out).
 */
export function weakSecretReason(secret: string): string | undefined {
  if (!BEARER_ALPHABET.test(secret)) {
    return 'must use only the characters A-Z a-z 0-9 . _ ~ + / = - (a bearer token can carry no others)';
  }
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters long`;
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS) {
    return `must contain at least ${MIN_DISTINCT_CHARACTERS} distinct characters`;
  }
  return undefined;
}

@ValidatorConstraint({ name: 'strongBearerSecret' })
class StrongBearerSecret implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && weakSecretReason(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return `$property ${weakSecretReason(String(args.value)) ?? 'is invalid'}`;
  }
}

/** The environment, validated with the same decorators as request bodies. */
export class EnvironmentVariables {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: '$property must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /**
   * The role the service serves through (least privilege: rows, no DDL); DATABASE_URL is then only
   * for migrations, as the schema's owner, which grants this role what the API needs at each start.
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: '$property must be a postgres:// or postgresql:// URL' })
  DATABASE_APP_URL?: string;

  /** A streaming replica of DATABASE_URL for reports, lookups and lists (docs/design.md, "Read replica"). */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: '$property must be a postgres:// or postgresql:// URL' })
  DATABASE_REPLICA_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR: string = './.data';

  /** Interface to listen on; 0.0.0.0 for every IPv4 interface, :: for every interface. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9.:-]{1,253}$/, { message: '$property must be a host name or an IP address' })
  HOST: string = '127.0.0.1';

  @IsOptional()
  @IsString()
  @Validate(StrongBearerSecret)
  ADMIN_API_KEY?: string;

  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  @Validate(StrongBearerSecret)
  METRICS_TOKEN?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  RELEASE_HOLD_DAYS: number = 0;

  /** Requests per minute per API key; 0 turns rate limiting off. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE: number = 6000;

  /** 401 and 403 answers per minute per client address (then 429); 0 turns this limit off. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT_PER_MINUTE: number = 30;

  /** Requests per minute per client address to public routes other than health and metrics; 0 turns it off. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  PUBLIC_RATE_LIMIT_PER_MINUTE: number = 300;

  /** Express "trust proxy": how client addresses are read behind a reverse proxy (hop count or addresses). */
  @IsOptional()
  @IsString()
  @Matches(/^(\d{1,2}|[0-9A-Za-z.:/, ]+)$/, {
    message: '$property must be a hop count or a comma-separated list of addresses',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @Transform(toBool)
  @IsIn([true, false], { message: '$property must be true or false' })
  METRICS_ENABLED: boolean = true;

  /** Connections per service instance. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE: number = 20;

  /** Days before a lease's notice deadline at which lease.notice_deadline_approaching fires, once each. */
  @IsOptional()
  @Matches(/^\s*\d{1,4}(\s*,\s*\d{1,4})*\s*$/, {
    message: '$property must be a comma-separated list of whole days, e.g. 90,30,7',
  })
  NOTICE_ALERT_DAYS: string = '90,30,7';

  /** A client must send all request headers within this time (slow-header attacks). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600)
  HEADERS_TIMEOUT_SECONDS: number = 10;

  /** A client must send the whole request (headers and body) within this time (slow-body attacks). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  REQUEST_TIMEOUT_SECONDS: number = 60;

  /** Open client connections per instance; more are closed at once. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_CONNECTIONS: number = 1000;

  /** Geofeed downloads served at once per instance; more get 429. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  GEOFEED_MAX_DOWNLOADS: number = 20;

  /** How often the scheduler looks for time-driven events (each instance; one at a time does the work). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  SCHEDULER_INTERVAL_SECONDS: number = 300;

  /** Delay before each retry of a failed webhook delivery; after the last, the delivery gives up. */
  @IsOptional()
  @Matches(/^\s*\d{1,6}(\s*,\s*\d{1,6})*\s*$/, {
    message: '$property must be a comma-separated list of seconds, e.g. 5,300,1800',
  })
  WEBHOOK_RETRY_SECONDS: string = '5,300,1800,7200,18000,36000';

  /** Allow webhook targets in private, loopback, link-local and other special-purpose space (tests, labs). */
  @IsOptional()
  @Transform(toBool)
  @IsIn([true, false], { message: '$property must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean = false;

  /** A receiver must answer within this many seconds (connect, send, response). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(60)
  WEBHOOK_TIMEOUT_SECONDS: number = 10;

  /** RPSL `mnt-by` of the route objects iplease writes (GET /allocations/{id}/route-object). */
  @IsOptional()
  @Matches(/^[A-Za-z][A-Za-z0-9_-]{0,79}$/, { message: '$property must be an RPSL maintainer name like MAINT-EXAMPLE' })
  IRR_MAINTAINER?: string;

  /** RPSL `source` of those route objects: the IRR database they are meant for. */
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9-]{0,19}$/, { message: '$property must be an IRR source name in capitals like RADB or RIPE' })
  IRR_SOURCE: string = 'RADB';
}

export interface AppConfig {
  port: number;
  host: string;
  /** The owner's connection (migrations); also the serving one when databaseAppUrl is unset. */
  databaseUrl?: string;
  /** The restricted role's connection the service serves through; needs databaseUrl. */
  databaseAppUrl?: string;
  databaseReplicaUrl?: string;
  dataDir: string;
  adminApiKey?: string;
  metricsToken?: string;
  logLevel: LogLevel;
  releaseHoldDays: number;
  rateLimitPerMinute: number;
  authFailureLimitPerMinute: number;
  publicRateLimitPerMinute: number;
  /** Express "trust proxy" value; undefined: the socket's peer is the client. */
  trustProxy?: number | string;
  metricsEnabled: boolean;
  dbPoolSize: number;
  noticeAlertDays: number[];
  schedulerIntervalSeconds: number;
  webhookRetrySeconds: number[];
  webhookAllowPrivateTargets: boolean;
  webhookTimeoutSeconds: number;
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  maxConnections: number;
  geofeedMaxDownloads: number;
  irrMaintainer?: string;
  irrSource: string;
}

const numberList = (value: string) =>
  value
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((n) => Number.isFinite(n));

export class ConfigError extends Error {}

/** Validates the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(new EnvironmentVariables())) {
    const value = env[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  for (const key of SECRET_VARIABLES) {
    if (env[key] !== undefined && env[key] !== '') present[key] = env[key] as string;
  }
  const parsed = plainToInstance(EnvironmentVariables, present);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    // class-validator lists constraints innermost decorator first; the type check is declared first, so it comes last.
    const reason = Object.values(first.constraints ?? {}).pop() ?? 'is invalid';
    const shown = (SECRET_VARIABLES as readonly string[]).includes(first.property)
      ? ''
      : ` (got "${String(first.value)}")`;
    throw new ConfigError(`Invalid configuration: ${first.property} ${reason.replace(/^\S+\s/, '')}${shown}`);
  }
  if (parsed.DATABASE_APP_URL && !parsed.DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration: DATABASE_APP_URL needs DATABASE_URL (the owner that runs the migrations and grants the serving role its rights)',
    );
  }
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    databaseUrl: parsed.DATABASE_URL,
    databaseAppUrl: parsed.DATABASE_APP_URL,
    databaseReplicaUrl: parsed.DATABASE_REPLICA_URL,
    dataDir: path.resolve(parsed.DATA_DIR),
    adminApiKey: parsed.ADMIN_API_KEY,
    metricsToken: parsed.METRICS_TOKEN,
    logLevel: parsed.LOG_LEVEL,
    releaseHoldDays: parsed.RELEASE_HOLD_DAYS,
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE,
    authFailureLimitPerMinute: parsed.AUTH_FAILURE_LIMIT_PER_MINUTE,
    publicRateLimitPerMinute: parsed.PUBLIC_RATE_LIMIT_PER_MINUTE,
    trustProxy:
      parsed.TRUST_PROXY === undefined
        ? undefined
        : /^\d+$/.test(parsed.TRUST_PROXY)
          ? Number(parsed.TRUST_PROXY)
          : parsed.TRUST_PROXY,
    metricsEnabled: parsed.METRICS_ENABLED,
    dbPoolSize: parsed.DB_POOL_SIZE,
    // Largest first, duplicates dropped: each threshold fires once.
    noticeAlertDays: [...new Set(numberList(parsed.NOTICE_ALERT_DAYS))].sort((a, b) => b - a),
    schedulerIntervalSeconds: parsed.SCHEDULER_INTERVAL_SECONDS,
    webhookRetrySeconds: numberList(parsed.WEBHOOK_RETRY_SECONDS),
    webhookAllowPrivateTargets: parsed.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    webhookTimeoutSeconds: parsed.WEBHOOK_TIMEOUT_SECONDS,
    headersTimeoutSeconds: parsed.HEADERS_TIMEOUT_SECONDS,
    requestTimeoutSeconds: parsed.REQUEST_TIMEOUT_SECONDS,
    maxConnections: parsed.MAX_CONNECTIONS,
    geofeedMaxDownloads: parsed.GEOFEED_MAX_DOWNLOADS,
    irrMaintainer: parsed.IRR_MAINTAINER,
    irrSource: parsed.IRR_SOURCE,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
