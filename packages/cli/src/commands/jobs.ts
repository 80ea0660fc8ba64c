import { Command, Option } from 'commander';
import {
  ConfigError,
  DEPTH_STATES,
  exitCodesAndExamples,
  LIST_MAX,
  PARKED_LIST_MAX,
  failureHeading,
  failureSummary,
  isParked,
  parkedBodySize,
  printable,
  TOPIC_SCAN,
  type Config,
  type JobDetail,
  type ParkedDetail,
} from '@loopabull/core/cli';
import {
  jsonOption,
  lookAtQueue,
  printJson,
  printTable,
  withConfig,
  positiveInt,
  withQueue,
  type ConfigOpts,
  type Cli,
} from '../options.js';

/** What `attempt` is, for `jobs list` and `jobs show`, which print it. */
const ATTEMPT_HELP = `"attempt" is the try a job is on, numbered as its log numbers them: the one running or
waiting to run (1 for a job that has not run yet), or the last one of a job that has ended.
--json also gives "attempts", the tries made: 0 while the first one runs.`;

/** Reasons for exit codes that several subcommands give, worded alike in their --help. */
const NO_SUCH_ID = 'no job or parked message with that id';
const REDIS_DOWN = 'Redis cannot be reached';
const USAGE = 'a usage or configuration error';

/**
 * An empty list says so, as `loopabull queue` says nothing waits, rather than printing a table's
 * headers alone; with --topic, it names the topic and how far back it looked.
 */
function printNone(what: string, topic: string | undefined): void {
  const where = topic === undefined ? '' : ` of topic ${topic} among the newest ${TOPIC_SCAN}`;
  process.stdout.write(`no ${what}${where}\n`);
}

/**
 * What one `jobs list` shows at most, as the HTTP API does: a larger `--limit` is a usage error
 * that names the most, where the API cuts the list (docs/http.md), since the operator would take
 * a list cut short for all there is.
 */
function checkListLimit(state: (typeof DEPTH_STATES)[number], limit: number): void {
  const [max, what] =
    state === 'parked' ? [PARKED_LIST_MAX, 'parked messages'] : [LIST_MAX, 'jobs'];
  if (limit > max)
    throw new ConfigError(`--limit ${limit}: jobs list shows at most ${max} ${what} at once`);
}

const list = (cli: Cli) =>
  withConfig(new Command('list'))
    .description('list jobs in a state, newest first')
    .addOption(new Option('--state <state>', 'which jobs').choices(DEPTH_STATES).default('failed'))
    .option('--topic <topic>', `only this topic, among the newest ${TOPIC_SCAN} jobs of the state`)
    .option(
      '--limit <n>',
      `at most this many: up to ${LIST_MAX} jobs, or ${PARKED_LIST_MAX} parked messages`,
      positiveInt,
      50,
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Each state lists its newest jobs, and a --limit over the most is a usage error (exit 2) rather
than a list cut short. With --topic, only the newest ${TOPIC_SCAN} jobs of the state are looked
through, so an older job of the topic after a burst of others is not listed: find it with
\`loopabull jobs show ID\`. A failed job's reason is its first line and ansible's first error line
(\`fatal:\`, \`ERROR!\`) on one line; \`jobs show ID\` prints all of it. An empty list prints
\`no <state> jobs\` (with --json, \`[]\`).
${ATTEMPT_HELP}`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['listed, also when there is none'],
          1: [REDIS_DOWN],
          2: [
            'a usage or configuration error, such as',
            `a --limit over the most (${LIST_MAX} jobs, ${PARKED_LIST_MAX} parked messages)`,
          ],
        },
        [
          'loopabull jobs list',
          'loopabull jobs list --state unrouted --topic org.fedoraproject.prod.buildsys.build.state.change',
          'loopabull jobs list --state parked --json',
        ],
      ),
    )
    .action(
      async (
        opts: ConfigOpts & {
          state: (typeof DEPTH_STATES)[number];
          topic?: string;
          limit: number;
          json?: boolean;
        },
      ) => {
        checkListLimit(opts.state, opts.limit);
        return lookAtQueue(cli, opts, async ({ jobs, parking }) => {
          if (opts.state === 'parked') {
            const parked = await parking.list(opts.limit, opts.topic);
            if (opts.json) return printJson(parked);
            if (parked.length === 0) return printNone('parked messages', opts.topic);
            return printTable(
              ['id', 'received', 'reason', 'exchange', 'routing key', 'detail'],
              parked.map((p) => [
                p.id,
                p.received_at,
                p.reason,
                p.exchange,
                p.routing_key,
                p.detail,
              ]),
            );
          }
          const found = await jobs.list({
            state: opts.state,
            topic: opts.topic,
            limit: opts.limit,
          });
          if (opts.json) return printJson(found);
          if (found.length === 0) return printNone(`${opts.state} jobs`, opts.topic);
          const failed = opts.state === 'failed';
          printTable(
            ['id', 'topic', 'attempt', 'finished', 'file', ...(failed ? ['exit', 'reason'] : [])],
            found.map((j) => [
              j.id,
              j.topic,
              j.attempt,
              j.finished_at,
              j.file,
              ...(failed ? [j.exit_code, failureSummary(j.failed_reason, { oneLine: true })] : []),
            ]),
          );
        });
      },
    );

const notFound = (id: string) =>
  new Error(
    `no job ${id}: it may have been removed after queue.keep_completed, or be a message the looper parked, which never became a job (loopabull jobs list --state parked)`,
  );

const fieldTable = (fields: Record<string, unknown>) =>
  printTable(
    ['field', 'value'],
    Object.entries(fields).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );

function printJob(job: JobDetail): void {
  const { event, result, failed_reason, ...fields } = job;
  // Tries made, 0 while the first runs: beside `attempt` it would read as a contradiction. --json
  // keeps it for scripts.
  fieldTable(Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'attempts')));
  if (failed_reason)
    process.stdout.write(
      `\n${failureHeading(job.state)}:\n${printable(failed_reason, { keepLines: true })}\n`,
    );
  process.stdout.write(`\nevent:\n${JSON.stringify(event, null, 2)}\n`);
  if (result) process.stdout.write(`\nresult:\n${JSON.stringify(result, null, 2)}\n`);
}

/** As `jobs list --state parked` and the dashboard show it: reason and detail first. */
function printParked(parked: ParkedDetail): void {
  const { body, size, ...fields } = parked;
  const { id, state, received_at, reason, detail, ...rest } = fields;
  fieldTable({ id, state, received_at, reason, detail, ...rest });
  process.stdout.write(
    `\nbody (${parkedBodySize({ body, size })}):\n${printable(body, { keepLines: true })}\n`,
  );
}

/**
 * The body alone, as the message carried it: `body_text` where JSON.parse would lose how its
 * numbers are written (`jq .event.body` made `1.0` into `1` and rounded big integers), and a
 * parked message's body as kept, saying on standard error when it was cut.
 */
function printBody(shown: JobDetail | ParkedDetail): void {
  if (isParked(shown)) {
    const size = parkedBodySize(shown);
    if (size.includes('kept')) process.stderr.write(`loopabull: the body was cut: ${size}\n`);
    process.stdout.write(`${shown.body}\n`);
    return;
  }
  const { event } = shown;
  process.stdout.write(`${event.body_text ?? JSON.stringify(event.body)}\n`);
}

const show = (cli: Cli) =>
  withConfig(new Command('show'))
    .description(
      'one job: its state, attempt, failure, event and result; or one parked message: its reason, detail and body',
    )
    .argument(
      '<id>',
      'job id (as `jobs list` prints it), the message id the job was made from, or a parked message id (`<ms>-<seq>`)',
    )
    .addOption(jsonOption())
    .addOption(
      new Option(
        '--body',
        'print only the message body, as it came (numbers as written: 1.0, big integers): what run --file - and publish --file - take',
      ).conflicts('json'),
    )
    .addHelpText(
      'after',
      `
${ATTEMPT_HELP}
A parked message (\`jobs list --state parked\`) never became a job: it is shown with state
"parked", and --json prints the object \`jobs list --state parked --json\` lists, with
"state": "parked".`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples({ 0: ['shown'], 1: [NO_SUCH_ID, REDIS_DOWN], 2: [USAGE] }, [
        'loopabull jobs show ID',
        'loopabull jobs show ID --body | loopabull run TOPIC --file -',
      ]),
    )
    .action(async (id: string, opts: ConfigOpts & { json?: boolean; body?: boolean }) =>
      lookAtQueue(cli, opts, async ({ jobs }) => {
        const shown = await jobs.showOrParked(id);
        if (!shown) throw notFound(id);
        if (opts.body) return printBody(shown);
        if (opts.json) return printJson(shown);
        return isParked(shown) ? printParked(shown) : printJob(shown);
      }),
    );

const logs = (cli: Cli) =>
  withConfig(new Command('logs'))
    .description("a job's log: the playbook's or handler's output, every attempt")
    .argument('<id>', 'job id, or the message id the job was made from')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
--json prints {"logs": [line, ...]}, the body GET /api/jobs/<id>/logs answers.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['printed'],
          1: ['no job with that id (a parked message never ran: it has no log)', REDIS_DOWN],
          2: [USAGE],
        },
        ['loopabull jobs logs ID', "loopabull jobs logs ID --json | jq -r '.logs[]'"],
      ),
    )
    .action(async (id: string, opts: ConfigOpts & { json?: boolean }) =>
      lookAtQueue(cli, opts, async ({ jobs }) => {
        const lines = await jobs.logs(id);
        if (!lines) throw notFound(id);
        // The API route's body, as every data command's --json is: one shape for scripts either way.
        if (opts.json) printJson({ logs: lines });
        // Playbook output carries message text: escape sequences in it must not reach the terminal.
        else
          process.stdout.write(lines.map((l) => printable(l, { keepLines: true }) + '\n').join(''));
      }),
    );

const retry = (cli: Cli) =>
  withConfig(new Command('retry'))
    .description(
      'run a failed or unrouted job again, or every failed job with --failed; a completed job is refused',
    )
    .argument('[id]', 'job id, or the message id the job was made from')
    .option('--failed', 'retry every job in the failed set')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A failed job runs again once its automation is fixed; an unrouted one once a playbook or handler
for its topic is in the playbooks directory. A completed job is refused, as is one that has not
finished: to run a completed job's automation again on purpose, give \`loopabull run\`
its event's body (the body alone: the whole event would become msg):
  loopabull jobs show ID --body | loopabull run TOPIC --file -`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: [
            'put back to run; with --failed, also when none had failed',
            'an unrouted job whose topic still has no automation too, said on standard error',
          ],
          1: [
            'no job with that id, or a parked message (it never ran)',
            'a job that completed or has not finished',
            REDIS_DOWN,
          ],
          2: ['a usage or configuration error, such as', 'both or neither of an id and --failed'],
        },
        ['loopabull jobs retry ID', 'loopabull jobs retry --failed --json'],
      ),
    )
    .action(
      async (id: string | undefined, opts: ConfigOpts & { failed?: boolean; json?: boolean }) => {
        if (Boolean(id) === Boolean(opts.failed))
          throw new ConfigError('give either a job id or --failed');
        await withQueue(cli, opts, async ({ jobs }, config) => {
          if (opts.failed) {
            const count = await jobs.retryFailed();
            if (opts.json) return printJson({ retried: count });
            process.stdout.write(`${count} failed jobs put back to run\n`);
          } else {
            const before = await jobs.show(id!);
            if (!(await jobs.retry(id!))) throw notFound(id!);
            if (before?.state === 'unrouted') await warnIfStillUnrouted(config, before.topic);
            if (opts.json) return printJson({ retried: 1, id });
            process.stdout.write(`job ${id} put back to run\n`);
          }
        });
      },
    );

/**
 * An unrouted job put back before its topic has an automation ends unrouted again at once: say
 * so, with the names looked for, rather than let "put back" read as fixed.
 */
async function warnIfStillUnrouted(config: Config, topic: string): Promise<void> {
  const { resolveAutomation } = await import('@loopabull/worker');
  const resolution = resolveAutomation(config, topic);
  if (resolution.found) return;
  process.stderr.write(
    `loopabull: topic ${topic} still has no automation in ${config.ansible.playbooks_dir} (looked for ${resolution.tried.join(', ')}): the job will end unrouted again\n`,
  );
}

const remove = (cli: Cli) =>
  withConfig(new Command('remove'))
    .description(
      'delete a job and its log (a parked message: its id from `jobs list --state parked`)',
    )
    .argument('<id>', 'job id, the message id the job was made from, or a parked message id')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['removed'],
          1: [
            NO_SUCH_ID,
            'a job a worker is running: it cannot be removed until it ends',
            REDIS_DOWN,
          ],
          2: [USAGE],
        },
        ['loopabull jobs remove ID', 'loopabull jobs remove 1714557600000-0 --json'],
      ),
    )
    .action(async (id: string, opts: ConfigOpts & { json?: boolean }) =>
      withQueue(cli, opts, async ({ jobs }) => {
        if (!(await jobs.remove(id))) throw notFound(id);
        if (opts.json) return printJson({ removed: id });
        process.stdout.write(`removed ${id}\n`);
      }),
    );

export const jobsCommand = (cli: Cli) =>
  new Command('jobs')
    .description('inspect and act on jobs: list, show, logs, retry, remove')
    .addCommand(list(cli))
    .addCommand(show(cli))
    .addCommand(logs(cli))
    .addCommand(retry(cli))
    .addCommand(remove(cli));
