import fc from 'fast-check';
import { ConfigError, loadConfig, weakSecretReason } from '../../../src/config/config';

const BEARER_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-';

/** The rule as the contract states it, written independently of the implementation. */
function acceptableByContract(secret: string): boolean {
  return (
    secret.length >= 24 &&
    new Set(secret.split('')).size >= 8 &&
    secret.split('').every((c) => BEARER_CHARS.includes(c))
  );
}

const failure = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('configuration was accepted');
};

describe('ADMIN_API_KEY strength (API.md "Auth additions")', () => {
  it.each([
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'distinct'],
    ['ipl_short-key-12345', '24 characters'],
    ['ipl_0123456789abcdefghij klmnop', 'only the characters'],
    ['ipl_0123456789abcdefghijklmnöp', 'only the characters'],
    ['ipl_0123456789abcdefghijklmn"p', 'only the characters'],
  ])('refuses %j with one line naming the variable, never echoing the secret', (secret, reason) => {
    const message = failure({ ADMIN_API_KEY: secret });
    expect(message).toMatch(/^Invalid configuration: ADMIN_API_KEY /);
    expect(message).toContain(reason);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('\n');
  });

  it('accepts a generated-looking key and the keys the tests and benchmarks use', () => {
    for (const secret of [
      'ipl_test-admin-key-0123456789abcdef',
      'ipl_normal-user-admin-key-123456',
      'abcdefgh'.repeat(3),
      'A.b_C~d+E/f=G-h0123456789',
    ]) {
      expect(loadConfig({ ADMIN_API_KEY: secret }).adminApiKey).toBe(secret);
    }
  });

  it('agrees with the contract rule on arbitrary strings', () => {
    const chars = fc.constantFrom(...(BEARER_CHARS + ' "ä\t*').split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, minLength: 0, maxLength: 40 }), (secret) => {
        expect(weakSecretReason(secret) === undefined).toBe(acceptableByContract(secret));
      }),
      { numRuns: 2000 },
    );
  });

  it('applies the same rule to METRICS_TOKEN', () => {
    expect(failure({ METRICS_TOKEN: 'metrics' })).toMatch(/^Invalid configuration: METRICS_TOKEN must be at least 24/);
  });
});

describe('HOST', () => {
  it('defaults to the loopback interface and accepts an address or name', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
  });
  it('refuses garbage with one line', () => {
    expect(failure({ HOST: 'a b' })).toBe(
      'Invalid configuration: HOST must be a host name or an IP address (got "a b")',
    );
  });
});

describe('messages of custom rules keep their verb', () => {
  it.each([
    [{ DATABASE_URL: 'mysql://x' }, 'Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL'],
    [{ METRICS_ENABLED: 'maybe' }, 'Invalid configuration: METRICS_ENABLED must be true or false (got "maybe")'],
  ])('%j', (env, message) => expect(failure(env)).toBe(message));
});

describe('DATABASE_APP_URL (docs/security.md)', () => {
  const owner = 'postgres://iplease:owner-secret@db:5432/iplease';
  const app = 'postgres://iplease_app:app-secret@db:5432/iplease';

  it('is the serving connection beside the owner’s DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: owner, DATABASE_APP_URL: app });
    expect(config.databaseUrl).toBe(owner);
    expect(config.databaseAppUrl).toBe(app);
    expect(loadConfig({ DATABASE_URL: owner }).databaseAppUrl).toBeUndefined();
  });

  it('needs DATABASE_URL (the owner that migrates), in one line', () => {
    expect(failure({ DATABASE_APP_URL: app })).toBe(
      'Invalid configuration: DATABASE_APP_URL needs DATABASE_URL (the owner that runs the migrations and grants the serving role its rights)',
    );
  });

  it('is a secret: a malformed one is refused without being echoed', () => {
    const message = failure({ DATABASE_URL: owner, DATABASE_APP_URL: 'mysql://root:app-secret@db/iplease' });
    expect(message).toBe('Invalid configuration: DATABASE_APP_URL must be a postgres:// or postgresql:// URL');
    expect(message).not.toContain('app-secret');
  });
});
