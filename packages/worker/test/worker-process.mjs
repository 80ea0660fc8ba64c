// A worker as a service runs it: plain Node on the built package (no tsx, no Jest loader), so
// handlers load exactly as in production. Usage: node worker-process.mjs CONFIG ID
import { loadConfig } from '@loopabull/core';
import { LoopabullWorker } from '../dist/index.js';

const [configPath, id] = process.argv.slice(2);
const config = loadConfig({ path: configPath, env: {} });
const worker = new LoopabullWorker({
  config,
  id,
  automations: { echo: (event) => ({ echo: event.topic }) },
});
process.on('SIGTERM', () => {
  worker.stop().then(() => process.exit(0));
});
await worker.start();
process.stdout.write('ready\n');
