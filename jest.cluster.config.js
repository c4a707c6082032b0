/**
 * `npm run test:cluster`: tests against the production topology on this machine (`npm run cluster:up`).
 * The global setup starts the cluster (or uses a running one); the teardown stops what it started.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
  // The first cluster:up of a checkout builds the Temporal server (minutes); tests then wait on real processes.
  testTimeout: 300_000,
  maxWorkers: 1,
  forceExit: true,
};
