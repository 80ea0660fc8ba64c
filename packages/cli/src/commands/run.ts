import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import {
  ConfigError,
  eventAsPublished,
  exitCodesAndExamples,
  topicProblem,
} from '@loopabull/core/cli';
import type { Config, LoopabullEvent } from '@loopabull/core';
import type { RunOnceResult } from '@loopabull/worker';
import {
  amqpShortString,
  bodyOptions,
  pulseRoutingKey,
  jsonOption,
  printJson,
  readBody,
  withConfig,
  type BodyOpts,
  type ConfigOpts,
  type Cli,
} from '../options.js';

export const runCommand = (cli: Cli) =>
  bodyOptions(withConfig(new Command('run')))
    .description('run the automation for a topic once, in the foreground, without the queue')
    .argument('<topic>', 'e.g. org.fedoraproject.prod.buildsys.build.state.change')
    .option(
      '--dry-run',
      'show the file that would run and what it would get (a playbook its vars file, a handler its event), run nothing',
    )
    .option(
      '--routing-key <key>',
      'pulse preset only: the routing key (default: built from the body as Taskcluster does, as publish does)',
      amqpShortString,
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
The event is the one the looper would make of the body published now with the configured preset
(\`loopabull publish\`): its exchange, routing key, headers and sent_at, and its id (a new
message id; with pulse, the hash of exchange and routing key, as the looper derives it), its
numbers as the body writes them (a playbook gets 1.0 as the float 1.0).
The output of the playbook or handler is printed as it comes. A failure then says on standard
error what failed (the exit code or signal, and the playbook), without repeating the output.
--json prints one object, {resolution, vars, event, result}, whatever the outcome (vars for a
playbook, event for a handler, else null); result.outcome is
"ran", "unrouted" or "failed" (then with exit_code and error, which ends with the output's
tail as a worker records it), null on a dry run.
It runs for real, as a worker would: a playbook changes what it changes, and a handler writes to
Redis and the database and publishes its follow-up events (ctx.publish) to the bus, where the
looper takes them. --dry-run runs nothing.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['the automation ran, or would run (--dry-run)'],
          1: [
            'the run failed, or no file is named after the topic (unrouted), --json or not',
            'the playbooks directory does not exist',
          ],
          2: [
            'a usage or configuration error, such as',
            'a topic that breaks the topic rule',
            '--body or --file that is not JSON or cannot be read, or both of them',
            'a --routing-key with a preset other than pulse',
          ],
        },
        [
          'loopabull run loopabull.demo.build.state.change --dry-run \\\n' +
            '    --file examples/messages/org.fedoraproject.prod.buildsys.build.state.change.json',
          'loopabull jobs show ID --body | loopabull run TOPIC --file -',
        ],
      ),
    )
    .action(
      async (
        topic: string,
        opts: ConfigOpts & BodyOpts & { dryRun?: boolean; json?: boolean; routingKey?: string },
      ) => {
        const problem = topicProblem(topic);
        if (problem) throw new ConfigError(problem);
        const config = cli.loadConfig(opts);
        const { body, text } = readBody(opts, config.bus);
        const event: LoopabullEvent = eventAsPublished(config.bus.preset, topic, body, {
          publishExchange: config.bus.publish_exchange,
          messageId: randomUUID(),
          routingKey: pulseRoutingKey(config, opts.routingKey),
          text,
        });
        const out = (line: string): void => {
          process.stdout.write(line + '\n');
        };
        // A dry run loads no engine: the resolution and the vars-file writer alone.
        const outcome: RunOnceResult = opts.dryRun
          ? (await import('@loopabull/worker/run-plan')).dryRun(config, event)
          : await ran(cli, config, event, { json: Boolean(opts.json), out });
        const { found } = outcome.resolution;
        // Nothing ran, or the run failed: a failure for scripts too, whichever way it is printed.
        if (!found || outcome.failure) process.exitCode = 1;
        if (opts.json) {
          const { failure, ...rest } = outcome;
          return printJson(failure ? { ...rest, result: failure } : rest);
        }
        if (!found) {
          return out(
            `unrouted: no automation for ${topic} (tried ${outcome.resolution.tried.join(', ')})`,
          );
        }
        if (opts.dryRun) {
          out(`would run ${found.file}\n  ${found.kind}: ${found.why}`);
          if (outcome.vars) out(`\nwith the vars file:\n${outcome.vars}`);
          if (outcome.event) out(`\nwith the event:\n${JSON.stringify(outcome.event, null, 2)}`);
          return;
        }
        const value = outcome.result?.value;
        out(
          `${found.relative}: ${outcome.result?.outcome ?? 'done'}${value === undefined ? '' : ` -> ${JSON.stringify(value)}`}`,
        );
      },
    );

/**
 * The run itself, with the enabled automations for a handler's `ctx.automation`. With --json,
 * standard output is the one object scripts parse: what a handler prints itself (console.log)
 * goes to standard error while it runs, beside its logger's lines.
 */
async function ran(
  cli: Cli,
  config: Config,
  event: LoopabullEvent,
  { json, out }: { json: boolean; out: (line: string) => void },
): Promise<RunOnceResult> {
  const { AutomationHost, createLogger } = await import('@loopabull/core');
  const { runOnce } = await import('@loopabull/worker');
  const { RunError } = await import('@loopabull/playbook');
  const logger = createLogger('run', config.loglevel);
  const automations = new AutomationHost(config, cli.automations, logger);
  const stdoutWrite = process.stdout.write;
  if (json) process.stdout.write = process.stderr.write.bind(process.stderr);
  try {
    return await runOnce(config, event, {
      logger,
      startAutomations: () => automations.start(),
      automation: (name, key) => automations.handler(name, key),
      automationBatch: (name, key) => automations.batchHandler(name, key),
      log: json ? undefined : out,
      returnFailure: json,
    });
  } catch (err) {
    // Without --json the output was printed as it came: the error says what failed, not the
    // output's tail again. (--json returns a failure, which keeps it, as workers do.)
    throw !json && err instanceof RunError ? err.withoutOutput() : err;
  } finally {
    await automations.stop();
    process.stdout.write = stdoutWrite;
  }
}
