import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ARCH } from './rules.js';
import { joinUrl } from './join-url.js';
import {
  httpBaseUrl,
  resolveFrom,
  sectionOf,
  timerSeconds,
  type AutomationEnv,
  type Config,
} from '@loopabull/core/cli';

/** What ships inside the package (beside `src/` and `dist/`): the rules and the checks. */
export const SHIPPED_RULES = fileURLToPath(new URL('../rules/trigger_rules.yml', import.meta.url));
export const SHIPPED_TASKS_DIR = fileURLToPath(new URL('../tasks', import.meta.url));

const namespace = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'not a namespace (a-z, 0-9, _ -)');
/** ResultsDB upper-cases a POSTed outcome before looking it up: a lower-case one never matches. */
const outcome = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'not an outcome (A-Z, 0-9, _)');

/**
 * The longest `dedup_window`: a year and a day is longer than any check's use for a claim; much
 * more, and Redis refuses the expiry (a trigger job failing at every message), or JavaScript
 * writes the number in exponent form, which Redis does not read.
 */
export const MAX_DEDUP_WINDOW = 366 * 24 * 3600;

/** The `taskotron:` section of the configuration (docs/taskotron.md, "Configuration"). */
export const taskotronSection = z
  .object({
    enabled: z.boolean().default(true),
    /** The trigger rules file (YAML); by default the rules that ship with the package. */
    rules: z.string().min(1).default(SHIPPED_RULES),
    /** Where checks live, one directory per task name; by default the shipped checks. */
    tasks_dir: z.string().min(1).default(SHIPPED_TASKS_DIR),
    /** Where each job's artifacts are kept, one directory per job uuid. */
    artifacts_dir: z.string().min(1).default('./var/artifacts'),
    /**
     * The public URL of `artifacts_dir`: results' `ref_url` start with it. null: where
     * `loopabull serve` answers with the `http` settings (`artifactsUrl`).
     */
    artifacts_url: z.url().nullable().default(null),
    /**
     * The arches jobs may be scheduled for besides `noarch` (Taskotron's `valid_arches`, its
     * final value): an arch a rule asks for outside them is dropped, with the reason. Checks
     * get them as `taskotron_supported_arches` (libtaskotron's `supported_arches`).
     */
    valid_arches: z
      .array(z.string().regex(ARCH, 'not an arch (letters, digits, _)'))
      .min(1)
      .default(['x86_64', 'armhfp']),
    /**
     * Seconds within which the same (item, item_type, taskname, arch) is scheduled once: a Redis
     * expiry (`SET EX`), which Redis refuses past its clock's range, so bounded.
     */
    dedup_window: z
      .number()
      .positive()
      // Before .int(), whose own bound (2^53) would otherwise answer first.
      .max(MAX_DEDUP_WINDOW, `at most ${MAX_DEDUP_WINDOW} seconds (366 days)`)
      .int()
      .default(3600),
    /**
     * Seconds a Koji tag change waits before its checks are scheduled, so that a burst of
     * tagging into one tag makes one job per tag (Taskotron's `fuse_delay`).
     */
    // A BullMQ delay: past a timer's range the due date overflows, and the fuse would never burn.
    fuse_delay: timerSeconds.int().default(900),
    /**
     * Seconds a check may run before it is killed and ends NOT_OK (Taskotron's buildbot gave
     * runtask 20 minutes). A job's check gets at most `ansible.timeout` less a margin: see
     * `checkTimeLimit`.
     */
    check_timeout: timerSeconds.int().default(1200),
    /**
     * Seconds each git command of a discovered check may take: the trigger's listing of a
     * `discover` repository, the runner's clone of a job's `git_repo`.
     */
    git_timeout: timerSeconds.int().default(120),
    /**
     * Where the git cache keeps one bare mirror per repository of discovered checks (relative
     * to the config file), which the trigger's look and the runner's checkout of a job's
     * commit are served from, fetched into under a lock (git.ts). null: a new clone each time.
     */
    git_cache_dir: z.string().min(1).nullable().default(null),
    /**
     * The critical-path packages, one name per line (Taskotron's `critpath_filepath`), offered
     * to rules as `critpath_pkgs`; null: none.
     */
    critpath_file: z.string().min(1).nullable().default(null),
    /** Checkname namespaces any check may report under (libtaskotron's `namespaces_safe`). */
    namespaces_safe: z.array(namespace).default(['scratch']),
    /**
     * Namespace -> the origins whose checks may report under it: directories (relative to the
     * config file; a check in one or below it) or repository URL prefixes. null: `dist` for
     * `tasks_dir`, `pkg` for none.
     */
    namespaces_whitelist: z
      .record(namespace, z.array(z.string().min(1)))
      .nullable()
      .default(null),
    /**
     * Put before the topics of the result events the built-in ResultsDB publishes, with a dot:
     * `org.fedoraproject.prod` sends `org.fedoraproject.prod.resultsdb.result.new`, the name
     * fedmsg gave ResultsDB's events and Fedora's consumers bind to. null: the bare topics.
     */
    events_topic_prefix: z
      .string()
      .max(200)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/,
        'not a topic prefix (dotted words, no trailing dot)',
      )
      .nullable()
      .default(null),
    /**
     * null: the built-in ResultsDB store; else the URL of a remote ResultsDB. Without credentials
     * or a query: it is shown in failed jobs' reasons and on the open page, the path is joined to
     * it, and fetch refuses a user and password in a URL anyway.
     */
    resultsdb_url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !/[?#]/.test(u), 'no query or fragment: the URL the API is at')
      .refine((u) => {
        const { username, password } = new URL(u);
        return username === '' && password === '';
      }, 'no user or password in it: give the token as taskotron.resultsdb_token')
      .nullable()
      .default(null),
    /**
     * The URL clients reach the built-in ResultsDB API at, when a reverse proxy serves it under
     * another path or name (Fedora's `https://taskotron.fedoraproject.org/resultsdb_api/api/v2.0`,
     * mod_wsgi's SCRIPT_NAME): the hrefs, `prev`/`next` and the events' hrefs start with it.
     * null: the scheme and Host of each request and `/api/v2.0` (the events: the origin of
     * `artifacts_url`). Forwarded headers are not read: a client could send them.
     */
    resultsdb_public_url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !/[?#]/.test(u), 'no query or fragment: the URL the API is at')
      .transform((u) => u.replace(/\/+$/, ''))
      .nullable()
      .default(null),
    /** Sent as `Authorization: Bearer <token>` with each request to `resultsdb_url` (results, testcases). */
    resultsdb_token: z.string().min(1).nullable().default(null),
    /**
     * Outcomes the built-in ResultsDB API takes besides PASSED, INFO, FAILED, NEEDS_INSPECTION
     * (ResultsDB's `ADDITIONAL_RESULT_OUTCOMES`). A bare string is refused: Fedora's
     * `('CRASHED')` was one, which Python made into the outcomes C, R, A, S, H, E, D.
     */
    additional_outcomes: z
      .array(outcome, {
        error: (issue) =>
          typeof issue.input === 'string'
            ? `a list of outcomes, not a string: write [${issue.input}]`
            : undefined,
      })
      .default([]),
  })
  .strict();

export type TaskotronSection = z.output<typeof taskotronSection>;

export const taskotronSettings = (config: Config): TaskotronSection =>
  sectionOf<TaskotronSection>(config, 'taskotron');

/**
 * What a `loopabull taskotron` command reads the automation's settings with, as the automation's
 * own env has them: the section, and paths relative to the config file.
 */
export const commandSettings = (config: Config) => ({
  config,
  section: taskotronSettings(config),
  resolvePath: (p: string) => resolveFrom(config.dir, p),
});

/** The section's paths made absolute: relative ones are relative to the config file. */
export function taskotronPaths(
  env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>,
) {
  return {
    rules: env.resolvePath(env.section.rules),
    tasksDir: env.resolvePath(env.section.tasks_dir),
    artifactsDir: env.resolvePath(env.section.artifacts_dir),
    gitCacheDir:
      env.section.git_cache_dir === null ? null : env.resolvePath(env.section.git_cache_dir),
  };
}

/** Where `loopabull serve` answers for `artifacts_dir`; `artifactsUrl` points here by default. */
export const ARTIFACTS_PREFIX = '/artifacts/';

/**
 * The URL results' `ref_url`, the page's links and the result events' hrefs start with:
 * `artifacts_url` as set, else `loopabull serve`'s address from the `http` settings
 * (`http://127.0.0.1:8080/artifacts` with their defaults), so a server on another port or address
 * is linked where it answers.
 */
export const artifactsUrl = (env: {
  config: { http: Pick<Config['http'], 'host' | 'port'> };
  section: Pick<TaskotronSection, 'artifacts_url'>;
}): string => env.section.artifacts_url ?? joinUrl(httpBaseUrl(env.config.http), ARTIFACTS_PREFIX);

/**
 * At most this long of `ansible.timeout` is left, after a job's check is killed, for the kill
 * itself (up to 7 s) and the reporting: the `taskotron.job` handler is stopped at
 * `ansible.timeout` and retried, which a check that hangs must not cause.
 */
const CHECK_STOP_MARGIN = 60;

/**
 * How long the check of a `taskotron.job` may run: `check_timeout`, but no longer than
 * `ansible.timeout` less `CHECK_STOP_MARGIN` (less half of it, when it is under twice the
 * margin), so that the check ends NOT_OK before its handler is stopped.
 */
export function checkTimeLimit(checkTimeout: number, handlerTimeout: number): number {
  return Math.min(checkTimeout, handlerTimeout - Math.min(CHECK_STOP_MARGIN, handlerTimeout / 2));
}
