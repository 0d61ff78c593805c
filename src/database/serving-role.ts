import { Client } from 'pg';

/** The role the service serves through on the embedded PostgreSQL (and, with its own name, in tests). */
export const EMBEDDED_SERVING_ROLE = 'iplease_app';

/** Tables the API reads but never writes. */
const READ_ONLY_TABLES = ['migrations'];

/**
 * Creates the serving role, or resets it to exactly this: it may log in and nothing more (no
 * superuser, no databases, no roles, no replication, row security applies). Its rights on the
 * schema come from grantServingRole. Runs as a superuser (the embedded cluster's, the test harness's).
 * The password travels only in this statement (no parameters in CREATE ROLE): never logged by us.
 */
export async function ensureServingRole(adminUrl: string, role: string, password: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const attributes =
      'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1';
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = rowCount ? 'ALTER ROLE' : 'CREATE ROLE';
    await client.query(
      `${verb} ${client.escapeIdentifier(role)} WITH ${attributes} PASSWORD ${client.escapeLiteral(password)}`,
    );
  } catch (error) {
    // Two processes creating the role at once (parallel test setups): the other one won.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42710') throw error;
  } finally {
    await client.end();
  }
}

/**
 * What the API does and nothing more, for `role`, on everything in schema public: read and write
 * rows (SELECT, INSERT, UPDATE, DELETE — UPDATE and DELETE also let it take the SHARE locks that
 * closing a month and an RPKI import use), use sequences, call the SQL functions. No DDL, no
 * TRUNCATE, no REFERENCES or TRIGGER; the migrations table is read-only (readiness reads it).
 * Default privileges cover what later migrations create, and every start grants again, so a
 * migration run by another role is covered too. Runs as the owner, under the migration lock
 * (concurrent GRANTs on one object can fail with "tuple concurrently updated").
 */
export async function grantServingRole(owner: { query(sql: string): Promise<unknown> }, role: string): Promise<void> {
  const who = quoteIdentifier(role);
  const statements = [
    `GRANT USAGE ON SCHEMA public TO ${who}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${who}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${who}`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${who}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${who}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${who}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${who}`,
    ...READ_ONLY_TABLES.map((table) => `REVOKE INSERT, UPDATE, DELETE ON ${quoteIdentifier(table)} FROM ${who}`),
  ];
  for (const statement of statements) await owner.query(statement);
}

export interface RoleFacts {
  name: string;
  superuser: boolean;
}

/** Who a connection string logs in as, and whether that role is a superuser. */
export async function describeRole(url: string): Promise<RoleFacts> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; superuser: boolean }>(
      `SELECT current_user AS name, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

/** The role a connection string names (its user part), decoded; undefined when it names none. */
export function roleOf(url: string): string | undefined {
  const user = new URL(url).username;
  return user ? decodeURIComponent(user) : undefined;
}

/** A connection string for the same server and database, logged in as another role. */
export function asRole(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(role);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
