import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { BusPublisher, parseReplay } from '@loopabull/core';
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
A message is {topic, headers, id, body} as fedora-messaging serializes it, or
{topic, msg_id, msg} as fedmsg and datagrepper give it: one, a list, one per line, or a
page of datagrepper's /raw ({raw_messages: [...]}, in its order). Replaying after an outage is
safe: a message whose job is still kept (queue.keep_completed) maps to that job.`,
    )
    .action(async (files: string[], opts: ConfigOpts & { json?: boolean }) => {
      const config = cli.loadConfig(opts);
      const messages = files.flatMap((file) =>
        parseReplay(
          readFileSync(file === '-' ? 0 : file, 'utf8'),
          file === '-' ? 'standard input' : file,
        ),
      );
      const publisher = new BusPublisher(config);
      try {
        for (const m of messages)
          await publisher.publish(m.topic, m.body, { messageId: m.id, headers: m.headers });
      } finally {
        await publisher.close();
      }
      if (opts.json)
        printJson({ published: messages.map((m) => ({ topic: m.topic, message_id: m.id })) });
      else process.stdout.write(`published ${messages.length} messages with their original ids\n`);
    });
