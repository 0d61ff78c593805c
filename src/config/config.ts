import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
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
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR: string = './.data';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_API_KEY?: string;

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
  @Matches(/^(\d{1,2}|[0-9A-Za-z.:/, ]+)$/, { message: 'must be a hop count or a comma-separated list of addresses' })
  TRUST_PROXY?: string;

  @IsOptional()
  @Transform(toBool)
  @IsIn([true, false], { message: 'must be true or false' })
  METRICS_ENABLED: boolean = true;

  /** Connections per service instance. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE: number = 20;

  /** RPSL `mnt-by` of the route objects iplease writes (GET /allocations/{id}/route-object). */
  @IsOptional()
  @Matches(/^[A-Za-z][A-Za-z0-9_-]{0,79}$/, { message: 'must be an RPSL maintainer name like MAINT-EXAMPLE' })
  IRR_MAINTAINER?: string;

  /** RPSL `source` of those route objects: the IRR database they are meant for. */
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9-]{0,19}$/, { message: 'must be an IRR source name in capitals like RADB or RIPE' })
  IRR_SOURCE: string = 'RADB';
}

export interface AppConfig {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  adminApiKey?: string;
  logLevel: LogLevel;
  releaseHoldDays: number;
  rateLimitPerMinute: number;
  authFailureLimitPerMinute: number;
  publicRateLimitPerMinute: number;
  /** Express "trust proxy" value; undefined: the socket's peer is the client. */
  trustProxy?: number | string;
  metricsEnabled: boolean;
  dbPoolSize: number;
  irrMaintainer?: string;
  irrSource: string;
}

export class ConfigError extends Error {}

/** Validates the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(new EnvironmentVariables())) {
    const value = env[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  for (const key of ['DATABASE_URL', 'ADMIN_API_KEY', 'IRR_MAINTAINER'] as const) {
    if (env[key] !== undefined && env[key] !== '') present[key] = env[key] as string;
  }
  const parsed = plainToInstance(EnvironmentVariables, present);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    // class-validator lists constraints innermost decorator first; the type check is declared first, so it comes last.
    const reason = Object.values(first.constraints ?? {}).pop() ?? 'is invalid';
    const shown =
      first.property === 'ADMIN_API_KEY' || first.property === 'DATABASE_URL' ? '' : ` (got "${String(first.value)}")`;
    throw new ConfigError(`Invalid configuration: ${first.property} ${reason.replace(/^\S+\s/, '')}${shown}`);
  }
  return {
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: path.resolve(parsed.DATA_DIR),
    adminApiKey: parsed.ADMIN_API_KEY,
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
    irrMaintainer: parsed.IRR_MAINTAINER,
    irrSource: parsed.IRR_SOURCE,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
