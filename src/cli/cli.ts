import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { AuditRepository } from '../audit/audit.repository';
import { EventsRepository } from '../events/events.repository';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { Writes } from '../persistence/writes';
import { ApiKeysRepository } from '../auth/api-keys.repository';
import { ApiKeysService } from '../auth/api-keys.service';
import { ApiKeyDto, CreateApiKeyDto } from '../auth/dto/api-key.dto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '../common/validation';
import { requestContext, Role, ROLES } from '../common/request-context';
import { ConfigError, loadConfig } from '../config/config';
import { DomainError } from '../errors/domain-errors';
import { CliDatabase, openCliDatabase } from './database';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Opens the database; tests may pass their own. Defaults to DATABASE_URL or the embedded PostgreSQL. */
  openDatabase?: () => Promise<CliDatabase>;
}

const USAGE = `Usage: npm run cli -- <command>

  api-key create --name <name> --role <${ROLES.join('|')}> [--json]
      Create an API key and print it (shown only this once).
  api-key list [--json]
      List API keys (never their secrets).
  api-key revoke <id>
      Revoke a key; it stops working at once. The last active admin key cannot be revoked.

Connects to DATABASE_URL, or to the embedded PostgreSQL in DATA_DIR (default ./.data) when it is unset.
`;

class UsageError extends Error {}

/** Runs one CLI command; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const write = (stream: NodeJS.WritableStream, text: string) => stream.write(text.endsWith('\n') ? text : `${text}\n`);
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      write(io.stderr, `${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (command.name === 'help') {
    write(io.stdout, USAGE);
    return 0;
  }

  let database: CliDatabase;
  try {
    database = await (io.openDatabase ?? defaultDatabase(io))();
  } catch (error) {
    write(
      io.stderr,
      error instanceof ConfigError
        ? error.message
        : `Cannot open the database: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const audit = new AuditRepository(new EventsRepository());
  const keys = new ApiKeysService(
    new ApiKeysRepository(),
    database.db,
    new Writes(database.db, audit, new IdempotencyRepository()),
  );
  // Audit events written from here name the operating-system user; they carry no API key.
  const context = { requestId: `cli-${randomUUID()}`, operator: `cli:${safeUsername()}` };
  try {
    return await requestContext.run(context, () => execute(command, keys, (text) => write(io.stdout, text)));
  } catch (error) {
    if (error instanceof DomainError) {
      write(io.stderr, `${error.code}: ${error.message}`);
      return 1;
    }
    write(io.stderr, `Failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database.close();
  }
}

type Command =
  | { name: 'help' }
  | { name: 'create'; keyName: string; role: Role; json: boolean }
  | { name: 'list'; json: boolean }
  | { name: 'revoke'; id: string };

function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0 || positionals[0] === 'help') return { name: 'help' };
  const [group, action, ...rest] = positionals;
  if (group !== 'api-key') throw new UsageError(`Unknown command "${group}".`);
  switch (action) {
    case 'create': {
      if (values.name === undefined || values.role === undefined)
        throw new UsageError('api-key create needs --name <name> and --role <role>.');
      if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`);
      // The same rules as POST /api/v1/api-keys.
      const dto = plainToInstance(CreateApiKeyDto, { name: values.name, role: values.role });
      const problems = flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }));
      if (problems.length) throw new UsageError(problems.map((p) => p.message).join('; '));
      return { name: 'create', keyName: dto.name, role: dto.role, json: values.json };
    }
    case 'list':
      if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`);
      return { name: 'list', json: values.json };
    case 'revoke':
      if (rest.length !== 1 || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(rest[0])) {
        throw new UsageError('api-key revoke needs the key id (a UUID, as shown by api-key list).');
      }
      return { name: 'revoke', id: rest[0].toLowerCase() };
    default:
      throw new UsageError(
        action ? `Unknown api-key command "${action}".` : 'api-key needs a command: create, list or revoke.',
      );
  }
}

async function execute(
  command: Exclude<Command, { name: 'help' }>,
  keys: ApiKeysService,
  out: (text: string) => void,
): Promise<number> {
  switch (command.name) {
    case 'create': {
      const created = await keys.create({ name: command.keyName, role: command.role });
      if (command.json) out(JSON.stringify(created));
      else {
        out(
          `Created ${created.role} key "${created.name}" (id ${created.id}). It is shown only this once:\n\n` +
            `  ${created.key}\n\nUse it as "Authorization: Bearer <key>".`,
        );
      }
      return 0;
    }
    case 'list': {
      const all: ApiKeyDto[] = [];
      let cursor: string | undefined;
      do {
        const page = await keys.list({ limit: 500, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (command.json) out(JSON.stringify(all));
      else out(formatTable(all));
      return 0;
    }
    case 'revoke': {
      const revoked = await keys.revoke(command.id);
      out(`Revoked key ${revoked.id} ("${revoked.name}", ${revoked.role}) at ${revoked.revokedAt}.`);
      return 0;
    }
  }
}

function formatTable(keys: ApiKeyDto[]): string {
  if (keys.length === 0) return 'No API keys.';
  const rows = [
    ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
    ...keys.map((k) => [
      k.id,
      k.name,
      k.role,
      k.keyPrefix ?? '(chosen)',
      k.createdAt,
      k.lastUsedAt ?? '-',
      k.revokedAt ?? '-',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function defaultDatabase(io: CliIo): () => Promise<CliDatabase> {
  return () => {
    const config = loadConfig(io.env);
    const quiet = { info: () => undefined, debug: () => undefined, error: (m: string) => io.stderr.write(`${m}\n`) };
    return openCliDatabase(config, quiet);
  };
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
