export { tempDir, removeTempDirs } from './temp.js';
export { testConfig, type TestConfigOptions } from './config.js';
export { waitFor } from './wait.js';
export { freePort } from './ports.js';
export { startRedis, type RedisInstance } from './redis-server.js';
