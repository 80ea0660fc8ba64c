import { Command } from 'commander';
import { ConfigError, exitCodesAndExamples, topicProblem } from '@loopabull/core/cli';
import {
  bodyOptions,
  readBody,
  withConfig,
  type BodyOpts,
  type ConfigOpts,
  jsonOption,
  printJson,
  amqpShortString,
  pulseRoutingKey,
  type Cli,
} from '../options.js';

export const publishCommand = (cli: Cli) =>
  bodyOptions(withConfig(new Command('publish')))
    .description('publish a message to the bus as the configured preset would')
    .argument('<topic>', 'e.g. org.fedoraproject.prod.buildsys.build.state.change')
    .option(
      '--id <id>',
      'message_id, 1 to 255 bytes (default: a new UUID); the same id twice runs once (pulse: the same exchange and routing key)',
      amqpShortString,
    )
    .option(
      '--routing-key <key>',
      'pulse preset only: the routing key (the topic names the exchange there; default: built from the body as Taskcluster does)',
      amqpShortString,
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
fedora-messaging: to bus.publish_exchange with the topic as routing key and the
  fedora_messaging_* and sent-at headers;
pulse: to exchange/<topic with . as />, with --routing-key, else the key Taskcluster's queue
  gives the body (primary.<taskId>.<runId>.<workerGroup>.<workerId>.<provisionerId>.
  <workerType>.<schedulerId>.<taskGroupId>._, \`_\` for what is missing; \`primary\` for a
  body that is no task message); the job id is the SHA-256 of <exchange>:<routing key>, so the
  same task message twice runs once;
generic: to bus.publish_exchange with the topic as routing key.
The body is sent as compact JSON, its numbers as --body or --file writes them (1.0 stays 1.0,
12345678901234567890 exact), so a playbook gets them as a Python publisher's would reach it.
An exchange other than amq.* is declared if missing, unless bus.declare_exchanges is false
(Pulse): then a missing one is an error naming it, and nothing is published; but for the user's
own exchange/<user>/…, which is declared all the same.
--json prints topic, message_id, exchange, routing_key, routed and job_id, the id of the job the
looper makes of the message (for \`loopabull jobs show\`, which also takes the message id).
When no queue is bound to take the message (the looper never ran, or bus.bindings do not match
it), the broker drops it: publish says so on standard error ("routed": false) and exits 0.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['published, also when no queue is bound to take the message'],
          1: [
            'the bus cannot be reached or refuses the message',
            'an exchange that does not exist, with bus.declare_exchanges false',
          ],
          2: [
            'a usage or configuration error, such as',
            'a topic that breaks the topic rule',
            '--body or --file that is not JSON or cannot be read, or both of them',
            'an --id or --routing-key that is empty or over 255 bytes',
            'a --routing-key with a preset other than pulse',
          ],
        },
        [
          'loopabull publish org.fedoraproject.prod.buildsys.build.state.change \\\n' +
            '    --file examples/messages/org.fedoraproject.prod.buildsys.build.state.change.json',
          'loopabull publish loopabull.demo.build.state.change --body \'{"build_id": 1}\' --json',
        ],
      ),
    )
    .action(
      async (
        topic: string,
        opts: ConfigOpts & BodyOpts & { id?: string; routingKey?: string; json?: boolean },
      ) => {
        const problem = topicProblem(topic);
        if (problem) throw new ConfigError(problem);
        const config = cli.loadConfig(opts);
        const routingKey = pulseRoutingKey(config, opts.routingKey);
        const { body, text } = readBody(opts, config.bus);
        const { BusPublisher, eventIdOf, jobIdFor } = await import('@loopabull/core/publisher');
        const publisher = new BusPublisher(config);
        try {
          const sent = await publisher.publish(topic, body, {
            messageId: opts.id,
            routingKey,
            text,
          });
          // The job the looper makes of it: with pulse, named after exchange and routing key.
          const jobId = jobIdFor(
            eventIdOf({ ...sent, content: Buffer.alloc(0) }, config.bus.preset),
          );
          if (opts.json)
            printJson({
              topic,
              message_id: sent.messageId,
              exchange: sent.exchange,
              routing_key: sent.routingKey,
              routed: sent.routed,
              job_id: jobId,
            });
          else
            process.stdout
              .write(`published ${sent.messageId} to ${sent.exchange} with routing key ${sent.routingKey}
`);
          if (!sent.routed)
            process.stderr.write(
              `loopabull: no queue is bound to ${sent.exchange} for routing key ${sent.routingKey}: ` +
                'the broker dropped the message (start the looper once to declare its queue, or check bus.bindings)\n',
            );
        } finally {
          await publisher.close();
        }
      },
    );
