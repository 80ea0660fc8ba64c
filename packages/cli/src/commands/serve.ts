import { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';
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
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['stopped by SIGTERM or SIGINT'],
          1: [
            'http.host:http.port cannot be listened on (another process there, or no such address)',
            'an automation that cannot start, such as one whose database cannot be reached',
            'a second signal while it stops: it exits at once',
          ],
          2: [
            'a usage or configuration error, such as',
            'a redis.url database this Redis does not have',
          ],
        },
        [
          'loopabull serve -c /etc/loopabull/loopabull.yml',
          'LOOPABULL_HTTP_PORT=9090 loopabull serve',
        ],
      ),
    )
    .action(async (opts: ConfigOpts) => {
      const config = cli.loadConfig(opts);
      const { createLogger } = await import('@loopabull/core');
      const { runParts, serverPart } = await import('../daemons.js');
      const logger = createLogger('serve', config.loglevel);
      await runParts('server', config, logger, [await serverPart(cli, config, logger)]);
    });
