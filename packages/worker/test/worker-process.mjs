// A worker as a service runs it: plain Node on the built package (no tsx, no Jest loader), so
// handlers load exactly as in production. Usage: node worker-process.mjs CONFIG ID
import { z } from 'zod';
import { AutomationHost, createLogger, loadConfig } from '@loopabull/core';
import { LoopabullWorker } from '../dist/index.js';

/** The one automation this worker has, as a registry would list it. */
const echo = {
  name: 'echo',
  description: 'returns the topic',
  section: z.object({ enabled: z.boolean().default(true) }).strict(),
  start: () => ({
    handlers: { default: (event) => ({ echo: event.topic }) },
    batchHandlers: { default: (events) => events.map((e) => ({ echo: e.topic })) },
  }),
};

const [configPath, id] = process.argv.slice(2);
const config = loadConfig({ path: configPath, env: {}, automations: [echo] });
const automations = await new AutomationHost(config, [echo], createLogger('test', 'error')).start();
const worker = new LoopabullWorker({
  config,
  id,
  automation: (name, key) => automations.handler(name, key),
  automationBatch: (name, key) => automations.batchHandler(name, key),
});
process.on('SIGTERM', () => {
  worker.stop().then(() => process.exit(0));
});
await worker.start();
process.stdout.write('ready\n');
