import * as fs from 'node:fs';
import {
  normaliseDump,
  pg15Available,
  PG15_BIN,
  REGENERATE_HINT,
  SCHEMA_FILE,
  schemaSnapshot,
} from '../../scripts/schema-snapshot';

describe('schema snapshot (docs/schema.sql)', () => {
  it('normalises away comments, SET lines and \\restrict keys, keeping one blank line between objects', () => {
    const dump = [
      '--',
      '-- PostgreSQL database dump',
      '\\restrict AbC123',
      'SET statement_timeout = 0;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      '',
      '',
      'CREATE TABLE public.t (',
      '    id integer   ',
      ');',
      '\\unrestrict AbC123',
    ].join('\n');
    expect(normaliseDump(dump)).toBe('CREATE TABLE public.t (\n    id integer\n);\n');
  });

  // The snapshot is pinned to Debian's PostgreSQL 15 tools (.ci/run installs them); without them
  // (a bare developer machine) this check cannot run and says so.
  (pg15Available() ? it : it.skip)(
    `is exactly what the migrations produce (pg_dump 15 from ${PG15_BIN})`,
    async () => {
      const expected = await schemaSnapshot();
      const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
      if (committed !== expected) {
        const a = committed.split('\n');
        const b = expected.split('\n');
        const line = a.findIndex((text, i) => text !== b[i]);
        throw new Error(
          `docs/schema.sql is stale: ${REGENERATE_HINT}.\n` +
            `First difference at line ${line + 1}:\n  committed: ${a[line] ?? '(end)'}\n  migrated:  ${b[line] ?? '(end)'}`,
        );
      }
      expect(committed).toBe(expected);
    },
    120_000,
  );
});
