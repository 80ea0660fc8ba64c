import { Command } from 'commander';
import { BusPublisher, ConfigError, topicProblem } from '@loopabull/core';
import {
  bodyOptions,
  readBody,
  withConfig,
  type BodyOpts,
  type ConfigOpts,
  jsonOption,
  printJson,
  type Cli,
} from '../options.js';

export const publishCommand = (cli: Cli) =>
  bodyOptions(withConfig(new Command('publish')))
    .description('publish a message to the bus as the configured preset would')
    .argument('<topic>', 'e.g. org.fedoraproject.prod.buildsys.build.state.change')
    .option('--id <id>', 'message_id (default: a new UUID); the same id twice runs once')
    .option(
      '--routing-key <key>',
      'pulse preset: the routing key (the topic names the exchange there)',
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
fedora-messaging: to bus.publish_exchange with the topic as routing key and the
  fedora_messaging_* and sent-at headers;
pulse: to exchange/<topic with . as />, routing key from --routing-key;
generic: to bus.publish_exchange with the topic as routing key.`,
    )
    .action(
      async (
        topic: string,
        opts: ConfigOpts & BodyOpts & { id?: string; routingKey?: string; json?: boolean },
      ) => {
        const problem = topicProblem(topic);
        if (problem) throw new ConfigError(problem);
        const config = cli.loadConfig(opts);
        const body = readBody(opts);
        const publisher = new BusPublisher(config);
        try {
          const sent = await publisher.publish(topic, body, {
            messageId: opts.id,
            routingKey: opts.routingKey,
          });
          if (opts.json)
            printJson({
              topic,
              message_id: sent.messageId,
              exchange: sent.exchange,
              routing_key: sent.routingKey,
            });
          else
            process.stdout
              .write(`published ${sent.messageId} to ${sent.exchange} with routing key ${sent.routingKey}
`);
        } finally {
          await publisher.close();
        }
      },
    );
