export { tempDir, removeTempDirs, entriesOfTempDirs } from './temp.js';
export { gitHead, gitPush, gitRepo, type GitFile } from './git.js';
export {
  testConfig,
  exampleConfig,
  legacyConfig,
  loopabullKeysOf,
  type LegacyRabbit,
  type TestConfigOptions,
} from './config.js';
export { waitFor } from './wait.js';
export {
  closedPort,
  freePort,
  releaseClosedPorts,
  startSilentServer,
  type SilentServer,
} from './ports.js';
export { startRedis, type RedisInstance } from './redis-server.js';
export {
  serveForTest,
  rawRequest,
  nextAnswered,
  type HttpAnswer,
  type HttpClient,
} from './http.js';
export { runCli, startCli, CLI, type CliProcess, type CliResult } from './cli.js';
export { localPlaybook, writeAutomation, processAlive } from './ansible.js';
export { killTree, processTree } from './process-tree.js';
export { startRabbit, type RabbitInstance } from './rabbitmq-server.js';
export { FIXTURES, readFixture, pulseEventOf, type PulseFixture } from './fixtures.js';
export { privateVhost, type Vhost } from './vhost.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { allJobs, completedJob, parkMessage } from './jobs.js';
export { cleanUpTest } from './cleanup.js';
export { tried, tryAll, nastyString, nastyJson } from './hostile.js';
export { isolatedEnv, startReady, type CliOptions } from './cli.js';
export { testEvent } from './events.js';
export { undoAfterEach, type Undo } from './undo.js';
export { openTestQueue, startPart } from './parts.js';
export { queueMessages, consumerPrefetch } from './broker.js';
export { parseMetrics, type MetricFamily } from './prometheus.js';
export { watchPublished, type Published } from './published.js';
export {
  databaseAdmin,
  allDatabases,
  postgres,
  mariadb,
  type TestDatabase,
} from './database-servers.js';
export { makeCertificates, tlsClientOptions, type TestCertificates } from './tls.js';
export { parsedOptions, runProgram } from './program.js';
export { SYSTEMD, serviceSection, unitValue, type Unit } from './systemd.js';
export { settleable, type Settleable } from './settleable.js';
