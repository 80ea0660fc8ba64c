import { Command } from 'commander';
import {
  commandFileName,
  counted,
  exitCodesAndExamples,
  readCommandFile,
} from '@loopabull/core/cli';
import type { Published } from '@loopabull/core';
import { jsonOption, printJson, withConfig, type ConfigOpts, type Cli } from '../options.js';

export const replayCommand = (cli: Cli) =>
  withConfig(new Command('replay'))
    .description(
      'publish saved messages again with their original ids: those that already ran do not run twice',
    )
    .argument(
      '<files...>',
      'JSON files (- for standard input): one message, a list, or one message per line',
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A message is {topic, headers, id, body} as fedora-messaging serializes it (its priority,
when it has one, sent as the AMQP priority),
{topic, msg_id, msg} as fedmsg and datagrepper give it, or {exchange, routingKey, payload}
(or routing_key) as Pulse users capture it: one, a list, one per line, or a list wrapped as
{raw_messages: [...]} (a page of datagrepper's /raw) or {messages: [...]}, in order.
Each body is sent as compact JSON with its numbers as the file writes them (1.0 stays 1.0).
A Pulse message is published on its own exchange with its own routing key, its payload as the
body, as Pulse sent it: the pulse preset names its job after exchange and routing key, so it is
the original's. The exchange is declared if missing, unless bus.declare_exchanges is false: then
a missing one is an error naming it, and nothing after it is published (the user's own
exchange/<user>/… is declared all the same).
Replaying after an outage is safe: a message whose job is still kept (queue.keep_completed) maps
to that job. A message no queue is bound to take (the looper never ran, or bus.bindings do not
match it) is dropped by the broker: replay names it on standard error and exits 0.
--json prints, for each message, topic, message_id, exchange, routing_key, routed and job_id.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['published, also messages no queue was bound to take'],
          1: [
            'the bus cannot be reached or refuses a message (those before it stay published)',
            'an exchange that does not exist, with bus.declare_exchanges false',
          ],
          2: [
            'a usage or configuration error (nothing is published), such as',
            'a file that cannot be read',
            'a line or item that is not a fedora-messaging, fedmsg or Pulse message',
          ],
        },
        [
          'loopabull replay missed-messages.json',
          "curl -s 'https://apps.fedoraproject.org/datagrepper/raw?topic=org.fedoraproject.prod.buildsys.build.state.change&delta=3600' \\\n" +
            '    | loopabull replay -',
        ],
      ),
    )
    .action(async (files: string[], opts: ConfigOpts & { json?: boolean }) => {
      const config = cli.loadConfig(opts);
      const { BusPublisher, eventIdOf, jobIdFor, parseReplay } = await import('@loopabull/core');
      const messages = files.flatMap((file) =>
        parseReplay(readCommandFile(file), commandFileName(file)),
      );
      const publisher = new BusPublisher(config);
      const sent: Array<{ topic: string; content: Buffer; published: Published }> = [];
      try {
        for (const m of messages) {
          const published = await publisher.publish(m.topic, m.body, {
            messageId: m.id,
            headers: m.headers,
            ...(m.pulse ? { exchange: m.pulse.exchange, routingKey: m.pulse.routingKey } : {}),
            text: m.text,
            priority: m.priority,
          });
          const content = Buffer.from(m.text ?? JSON.stringify(m.body) ?? '');
          sent.push({ topic: m.topic, content, published });
          if (!published.routed)
            process.stderr.write(
              `loopabull: no queue is bound to ${published.exchange} for routing key ${published.routingKey}: ` +
                `the broker dropped message ${published.messageId} (start the looper once to declare its queue, or check bus.bindings)\n`,
            );
        }
      } finally {
        await publisher.close();
      }
      if (opts.json)
        printJson({
          published: sent.map(({ topic, content, published: p }) => ({
            topic,
            message_id: p.messageId,
            exchange: p.exchange,
            routing_key: p.routingKey,
            routed: p.routed,
            // The job the looper makes of it, as `publish --json` says it.
            job_id: jobIdFor(eventIdOf({ ...p, content }, config.bus.preset)),
          })),
        });
      else {
        const dropped = sent.filter((s) => !s.published.routed).length;
        process.stdout.write(
          `published ${counted(sent.length, 'message')} with ${sent.length === 1 ? 'its original id' : 'their original ids'}` +
            (dropped ? ` (${dropped} dropped: no queue bound to take them)` : '') +
            '\n',
        );
      }
    });
