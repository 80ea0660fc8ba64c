export { tempDir, removeTempDirs } from './temp.js';
export { testConfig, loopabullKeysOf, type TestConfigOptions } from './config.js';
export { waitFor } from './wait.js';
export { freePort } from './ports.js';
export { startRedis, type RedisInstance } from './redis-server.js';
export { serveForTest, type HttpAnswer, type HttpClient } from './http.js';
export { runCli, startCli, CLI, type CliProcess, type CliResult } from './cli.js';
export { localPlaybook, writeAutomation, processAlive } from './ansible.js';
export { startRabbit, type RabbitInstance } from './rabbitmq-server.js';
