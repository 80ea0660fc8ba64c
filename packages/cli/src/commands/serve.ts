import { Command } from 'commander';
import { runUntilSignal } from '../lifecycle.js';
import { withConfig, type ConfigOpts, type Cli } from '../options.js';

export const serveCommand = (cli: Cli) =>
  withConfig(new Command('serve'))
    .description(
      'run the HTTP server: dashboard, /healthz, /readyz, /metrics, JSON API, automations (systemd: loopabull-web.service)',
    )
    .addHelpText(
      'after',
      '\nListens on http.host:http.port (127.0.0.1:8080 by default; $LOOPABULL_HTTP_PORT overrides\n' +
        'the port). Changing endpoints (PUT, POST, DELETE, PATCH) answer 403 until http.token is set.\n' +
        'Every endpoint: docs/http.md.',
    )
    .action(async (opts: ConfigOpts) => {
      const config = cli.loadConfig(opts);
      const { AutomationHost, checkRedisDatabase, createLogger } = await import('@loopabull/core');
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
