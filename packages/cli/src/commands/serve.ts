import { Command } from 'commander';
import { AutomationHost, checkRedisDatabase, createLogger } from '@loopabull/core';
import { runUntilSignal } from '../lifecycle.js';
import { withConfig, type ConfigOpts, type Cli } from '../options.js';

export const serveCommand = (cli: Cli) =>
  withConfig(new Command('serve'))
    .description(
      'run the HTTP server: dashboard, /healthz, /readyz, /metrics, JSON API, automations (systemd: loopabull-web.service)',
    )
    .action(async (opts: ConfigOpts) => {
      const config = cli.loadConfig(opts);
      await checkRedisDatabase(config.redis.url);
      const logger = createLogger('serve', config.loglevel);
      const { startServer } = await import('@loopabull/server');
      const automations = await new AutomationHost(config, cli.automations, logger).start();
      const server = await startServer(config, automations);
      await runUntilSignal('server', logger, async () => {
        await server.close();
        await automations.stop();
      });
    });
