import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { withExampleIds } from '../src/common/openapi-examples';
import { buildSpecWithoutDatabase, projectRoot } from './openapi-spec';

const ROOT = projectRoot();
const REDOCLY_BIN = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const CONFIG = join(ROOT, '.redocly.yaml');

/** Stand-ins for the ids a running server puts into request examples (src/common/openapi-examples.ts). */
export const SAMPLE_EXAMPLE_IDS = {
  lessor: '6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a01',
  region: '6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a02',
  provider: '6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a03',
  lease: '6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a04',
};

/**
 * The spec as a server with data serves it: the `<id of a …>` placeholders in request examples are
 * replaced by ids (there, real ones; here, fixed sample UUIDs), so examples can be checked against
 * their schemas (`format: uuid`).
 */
export function withSampleExampleIds(spec: OpenAPIObject): Promise<OpenAPIObject> {
  return Promise.resolve(withExampleIds(spec, SAMPLE_EXAMPLE_IDS));
}

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn' | 'warning';
  message: string;
  location: { pointer?: string }[];
}

export interface LintResult {
  totals: { errors: number; warnings: number; ignored: number };
  problems: LintProblem[];
  /** stylish one-line-per-problem report, for failure messages */
  report: string;
}

/**
 * Runs Redocly CLI (`redocly lint`, rules in .redocly.yaml) on a spec written to `file`.
 * Telemetry and the update check are off: CI must not phone home.
 */
export function lintOpenApi(spec: OpenAPIObject, file: string): LintResult {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
  const run = spawnSync(process.execPath, [REDOCLY_BIN, 'lint', file, '--config', CONFIG, '--format=json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
      NO_COLOR: '1',
    },
    timeout: 60_000,
  });
  const start = run.stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly lint printed no JSON (exit ${run.status}): ${run.stderr.slice(-2000)}`);
  const parsed = JSON.parse(run.stdout.slice(start)) as Omit<LintResult, 'report'>;
  const report = parsed.problems
    .map((p) => `${p.severity.padEnd(7)} ${p.ruleId.padEnd(34)} ${p.location[0]?.pointer ?? ''}  ${p.message}`)
    .join('\n');
  return { ...parsed, report };
}

/** `npm run spec:lint`: lints the spec (built without a database) and exits non-zero on any problem. */
async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? join(ROOT, 'test-artifacts', 'openapi.lint.json'));
  const result = lintOpenApi(await withSampleExampleIds(await buildSpecWithoutDatabase()), file);
  process.stdout.write(
    `${result.report}${result.report ? '\n' : ''}redocly lint ${file}: ${result.totals.errors} errors, ${result.totals.warnings} warnings\n`,
  );
  process.exit(result.totals.errors + result.totals.warnings > 0 ? 1 : 0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `spec lint failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
