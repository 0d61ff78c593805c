import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildSpecWithoutDatabase } from './openapi-spec';

/** `npm run spec:export [-- <file>]`: writes the OpenAPI document (default test-artifacts/openapi.json). */
async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'test-artifacts/openapi.json');
  const spec = await buildSpecWithoutDatabase();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(spec, null, 2)}\n`);
  process.stdout.write(`wrote ${out} (${Object.keys(spec.paths).length} paths)\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `spec export failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
