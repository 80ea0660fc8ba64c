/**
 * Tests run against the TypeScript sources (no build needed for in-process tests);
 * tests that spawn the `loopabull` command need `npm run build` first, which `npm test` does.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@loopabull/([a-z]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@loopabull/([a-z]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2.ts',
    '^@test/support$': '<rootDir>/test/support/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  coverageProvider: 'v8',
  collectCoverageFrom: ['packages/*/src/**/*.ts', '!packages/*/src/**/*.test.ts'],
  coverageReporters: ['json-summary'],
  testTimeout: 60000,
  maxWorkers: 2,
  // Under --experimental-vm-modules Node never frees a test file's modules (nodejs/node#59118), so
  // a worker kept for the whole suite ends at about 2 GB, and tearing that down takes longer than
  // the 500 ms Jest waits at the end: it then reports "A worker process has failed to exit
  // gracefully" although nothing was left open. A worker past this heap after a file is replaced.
  workerIdleMemoryLimit: '512MB',
};
