import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AppModule } from '../src/app.module';
import { buildOpenApiDocument } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';

/**
 * The OpenAPI document exactly as `GET /docs-json` serves it, built without a database: the
 * TypeORM DataSource is replaced by an inert stub, and the application is created but never
 * initialised (no lifecycle hooks, no migrations, no connections, no port).
 */
export async function buildSpecWithoutDatabase(): Promise<OpenAPIObject> {
  const config = { ...loadConfig({}), logLevel: 'silent' as const };
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, 'postgres://spec-export.invalid/none')],
  })
    .overrideProvider(getDataSourceToken())
    .useValue({ isInitialized: false, manager: {}, options: {} })
    .compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await moduleRef.close().catch(() => undefined);
  }
}

/** The checkout's root (the folder with package.json), from scripts/ or from dist/scripts/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
