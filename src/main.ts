import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyBootstrap } from './auth/api-key.bootstrap';
import { createApp } from './bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { createLogger } from './common/logger';
import { runMigrations } from './database/data-source';
import { describeRole } from './database/serving-role';
import { DataDirInUse } from './database/data-dir-lock';
import { EmbeddedPostgresHandle, EmbeddedPostgresMissing, startEmbeddedPostgres } from './database/embedded-postgres';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();

  let embedded: EmbeddedPostgresHandle | undefined;
  let app: INestApplication | undefined;
  let drainConnections: (() => void) | undefined;
  let shuttingDown = false;

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      drainConnections?.();
      await app?.close();
      await embedded?.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  watchLauncher(() => void shutdown('launcher exited'));

  try {
    // Migrations run as the schema's owner; the service serves through a role that can only do
    // what the API does (the embedded one always; an external database when DATABASE_APP_URL is set).
    let ownerUrl = config.databaseUrl;
    let servingUrl = config.databaseAppUrl ?? config.databaseUrl;
    if (!ownerUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, logger.child({ component: 'postgres' }));
      ownerUrl = embedded.url;
      servingUrl = embedded.appUrl;
    }
    const serving = await describeRole(servingUrl as string);
    if (serving.superuser) {
      logger.warn(
        { role: serving.name },
        config.databaseAppUrl
          ? `DATABASE_APP_URL logs in as "${serving.name}", a PostgreSQL superuser: make it a role without SUPERUSER (see docs/security.md)`
          : `the service serves as "${serving.name}", a PostgreSQL superuser: set DATABASE_APP_URL to a restricted role (see docs/security.md)`,
      );
    }
    const applied = await runMigrations(ownerUrl, serving.name);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    if (shuttingDown) return;

    app = await createApp(config, servingUrl as string, logger, { embeddedPostgres: embedded });
    drainConnections = connectionDrainer(app.getHttpServer() as Server);
    const server = app.getHttpServer() as Server;
    // Not app.listen(): it would also log a failure as a stack trace; a taken port gets one line below.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const url = listeningUrl(server);
    logger.info(
      { url, embeddedPostgres: !!embedded, startupMs: Date.now() - started },
      `iplease listening on ${url} (Swagger UI at /docs)`,
    );
    if (config.logLevel !== 'silent') {
      process.stdout.write(`iplease listening on ${url} - API docs ${url}/docs, dashboard ${url}/reports\n`);
    }

    const generated = app.get(ApiKeyBootstrap).generatedKey;
    if (generated) {
      process.stdout.write(
        `\n  No API key existed, so iplease created an admin key. It is shown only this once:\n\n    ${generated}\n\n` +
          `  Use it as "Authorization: Bearer <key>" (or set ADMIN_API_KEY to choose your own).\n\n`,
      );
    }
  } catch (error) {
    const line = startupFailureLine(error, config);
    if (line) process.stderr.write(`${line}\n`);
    else logger.fatal({ err: error }, `startup failed: ${error instanceof Error ? error.message : String(error)}`);
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}

/** The one line a person needs for the failures a person causes (a port taken, a DATA_DIR in use); else undefined. */
function startupFailureLine(error: unknown, config: AppConfig): string | undefined {
  if (error instanceof DataDirInUse || error instanceof EmbeddedPostgresMissing) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return `Port ${config.port} on ${config.host} is already in use (PORT, HOST); stop the other process or choose another PORT`;
  if (code === 'EACCES')
    return `Not allowed to listen on ${where} (PORT below 1024 needs privileges); choose another PORT`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `HOST ${config.host} is not an address of this machine; choose another HOST (e.g. 127.0.0.1 or 0.0.0.0)`;
  }
  return undefined;
}

function listeningUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * `npm start` runs this process under npm (and a shell when the script has no `exec`). When that
 * launcher dies without passing a signal on (kill -9, a closed terminal), this process would run on
 * as an orphan holding the port and PostgreSQL: notice the new parent and stop.
 */
function watchLauncher(stop: () => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}

/**
 * server.close() only stops new connections: a keep-alive client could go on sending requests on
 * its open connection and hold the process up until the deadline, when every socket is reset.
 * Once draining, each response says `Connection: close` (also those of requests already in
 * flight), so every connection ends after the answer it carries; idle ones are closed at once.
 */
function connectionDrainer(server: Server): () => void {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (draining) {
      res.setHeader('Connection', 'close');
      return;
    }
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
  });
  return () => {
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.closeIdleConnections();
  };
}

void main();
