import { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';
import { boundHeapGrowth } from '../memory-bounds.js';
import { withConfig, type ConfigOpts, type Cli } from '../options.js';

export const looperCommand = (cli: Cli) =>
  withConfig(new Command('looper'))
    .description('consume the bus into the work queue (systemd: loopabull.service)')
    .addHelpText(
      'after',
      `
Binds the durable queue bus.queue to bus.bindings, turns each message into an event as
bus.preset names it, and acks it only once Redis has the job. Reconnects by itself to
the broker and to Redis; while Redis is down it stops taking messages. SIGTERM or SIGINT
stops it, also while it still waits for the broker or Redis to answer.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['stopped by SIGTERM or SIGINT, also while still waiting for the broker or Redis'],
          1: ['a second signal while it stops: it exits at once'],
          2: [
            'a usage or configuration error, such as',
            'a redis.url database this Redis does not have',
            'a bus.tls file that cannot be read',
          ],
        },
        [
          'loopabull looper -c /etc/loopabull/loopabull.yml',
          "AMQP_URL='amqps://broker.example.org/%2Fpubsub' loopabull looper",
        ],
      ),
    )
    .action(async (opts: ConfigOpts) => {
      boundHeapGrowth();
      const config = cli.loadConfig(opts);
      const { createLogger } = await import('@loopabull/core');
      const { looperPart, runParts } = await import('../daemons.js');
      const logger = createLogger('looper', config.loglevel);
      await runParts('looper', config, logger, [await looperPart(config, logger)]);
    });
