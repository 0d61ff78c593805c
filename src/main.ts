import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server, ServerResponse } from 'node:http';
import { ApiKeyBootstrap } from './auth/api-key.bootstrap';
import { createApp } from './bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { createLogger } from './common/logger';
import { runMigrations } from './database/data-source';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from './database/embedded-postgres';

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

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, logger.child({ component: 'postgres' }));
      databaseUrl = embedded.url;
    }
    const applied = await runMigrations(databaseUrl);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    if (shuttingDown) return;

    app = await createApp(config, databaseUrl, logger);
    drainConnections = connectionDrainer(app.getHttpServer() as Server);
    await app.listen(config.port);
    logger.info(
      { port: config.port, embeddedPostgres: !!embedded, startupMs: Date.now() - started },
      `iplease listening on http://localhost:${config.port} (Swagger UI at /docs)`,
    );

    const generated = app.get(ApiKeyBootstrap).generatedKey;
    if (generated) {
      process.stdout.write(
        `\n  No API key existed, so iplease created an admin key. It is shown only this once:\n\n    ${generated}\n\n` +
          `  Use it as "Authorization: Bearer <key>" (or set ADMIN_API_KEY to choose your own).\n\n`,
      );
    }
  } catch (error) {
    logger.fatal({ err: error }, `startup failed: ${error instanceof Error ? error.message : String(error)}`);
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
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
