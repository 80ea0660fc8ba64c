import yaml from 'js-yaml';
import { matches, QueryError, queryProblem, type Query } from './query.js';
import { fieldsOf, hasPlaceholder, substitute, type Lookup } from './substitute.js';
import { branchProblem, repoProblem } from './discover.js';
import { ARCH, TASK_NAME } from './names.js';

/** A `discover` action's repository: its checks are found when the rule fires (trigger.ts). */
export interface Discover {
  repo: string;
  branch: string;
  /** Cloned when `branch` does not exist. */
  fallback_branch?: string;
  /** Look below the top-level directories too. */
  recursive?: boolean;
}

/**
 * One `do` entry: schedule each task (`tasks`), or each check found in a repository
 * (`discover`), on each arch.
 */
export interface Action {
  tasks?: string[];
  discover?: Discover;
  /** Absent: the trigger's default arches. */
  arches?: string[];
  /** The item's arches instead of `arches` (see hostArches). */
  match_host_arch?: boolean;
}

export interface Rule {
  /** Its `name`, else `rule <n>` (1-based, in file order). */
  name: string;
  /** The line of the rules file where it starts. */
  line: number;
  enabled: boolean;
  /** Why it is disabled. */
  reason?: string;
  when: Query;
  do: Action[];
}

/** A rules file that cannot be used: names the file, line, rule and key. */
export class RulesError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly rule: string | null,
    readonly key: string | null,
    readonly problem: string,
  ) {
    const where = [rule, key].filter(Boolean).join(': ');
    super(`${source}:${line}: ${where ? `${where}: ` : ''}${problem}`);
    this.name = 'RulesError';
  }
}

const RULE_KEYS = new Set(['name', 'when', 'do', 'enabled', 'reason']);
const ACTION_KEYS = new Set(['tasks', 'discover', 'arches', 'match_host_arch']);
const DISCOVER_KEYS = new Set(['repo', 'branch', 'fallback_branch', 'recursive']);
export { ARCH, TASK_NAME };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** js-yaml's parse, with the line each mapping and list starts on. */
function parseWithLines(
  text: string,
  source: string,
): { doc: unknown; lineOf: (node: unknown) => number | undefined } {
  const lines = new WeakMap<object, number>();
  const stack: number[] = [];
  let doc: unknown;
  try {
    doc = yaml.load(text, {
      filename: source,
      listener(event, state) {
        if (event === 'open') {
          stack.push(state.line);
          return;
        }
        const line = stack.pop()!;
        const node: unknown = state.result;
        if (typeof node === 'object' && node !== null && !lines.has(node))
          lines.set(node, line + 1);
      },
    });
  } catch (err) {
    const e = err as yaml.YAMLException;
    throw new RulesError(
      source,
      (e.mark?.line ?? 0) + 1,
      null,
      null,
      `not YAML: ${e.reason ?? e.message}`,
    );
  }
  return {
    doc,
    lineOf: (node) => (typeof node === 'object' && node !== null ? lines.get(node) : undefined),
  };
}

/** `${var}` (not `$${...}`, a literal `$`), and the stand-in `$<var>` it is read as: see parseTemplate. */
const PLACEHOLDER_TEXT = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;
const STAND_IN = /\$<([A-Za-z_][A-Za-z0-9_]*)>/g;

const restoreText = (text: string) => text.replace(STAND_IN, '$${$1}');

/** A parsed tree with its stand-ins made `${var}` again, in place (its nodes keep their lines). */
function restorePlaceholders(node: unknown): unknown {
  if (typeof node === 'string') return restoreText(node);
  if (Array.isArray(node)) node.forEach((v, i) => (node[i] = restorePlaceholders(v)));
  else if (isObject(node)) {
    const entries = Object.entries(node).map(([k, v]) => [restoreText(k), restorePlaceholders(v)]);
    for (const k of Object.keys(node)) delete node[k];
    for (const [k, v] of entries)
      Object.defineProperty(node, k as string, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return node;
}

/**
 * Taskotron rendered the rules file's text before reading it as YAML, so a placeholder written
 * bare inside a flow collection (`name: {$in: ${critpath_pkgs}}`, `tasks: [${name}-check]`) was
 * fine there: it became `['bash', 'gcc']` or `gcc-check`. Read before substitution, its `{` is
 * YAML's. So a text that is no YAML is read again with each `${var}` written `$<var>`, which YAML
 * reads as text, and made `${var}` again for `substitute`. Only then, so that a file that reads
 * as it is never changes meaning.
 */
function parseTemplate(text: string, source: string): ReturnType<typeof parseWithLines> {
  try {
    return parseWithLines(text, source);
  } catch (err) {
    const standIn = text.replace(PLACEHOLDER_TEXT, (all, _d, name?: string) =>
      name === undefined ? all : `$<${name}>`,
    );
    if (standIn === text || text.includes('$<')) throw err;
    // The same length, line for line: an error of the stand-in text is where the file has it.
    const parsed = parseWithLines(standIn, source);
    restorePlaceholders(parsed.doc);
    return parsed;
  }
}

/** For checking a rule at load: each variable stands for a list under $in/$nin, else for a word. */
const sampleValues: Lookup = (_name, parentKey) =>
  parentKey === '$in' || parentKey === '$nin' ? [] : 'x';

function stringList(value: unknown, pattern: RegExp, what: string): string | null {
  if (!Array.isArray(value) || value.length === 0) return `needs a non-empty list of ${what}`;
  const bad = value.find((v) => typeof v !== 'string' || !(pattern.test(v) || hasPlaceholder(v)));
  return bad === undefined ? null : `${JSON.stringify(bad)} is not a ${what.replace(/s$/, '')}`;
}

/**
 * A `discover` mapping's problem, with `${var}`s standing for a word (see sampleValues): a
 * literal `ext::` or `-` prefix is refused at load, whatever the message holds.
 */
function discoverProblem(discover: unknown): { key: string; problem: string } | null {
  if (!isObject(discover))
    return {
      key: 'discover',
      problem: 'needs a mapping {repo, branch, fallback_branch, recursive}',
    };
  for (const key of Object.keys(discover))
    if (!DISCOVER_KEYS.has(key))
      return {
        key: `discover.${key}`,
        problem: 'unknown key (repo, branch, fallback_branch, recursive)',
      };
  const sample = (v: string) => substitute(v, sampleValues) as string;
  const texts: Array<[string, (v: string) => string | null, boolean]> = [
    ['repo', repoProblem, true],
    ['branch', branchProblem, true],
    ['fallback_branch', branchProblem, false],
  ];
  for (const [key, problemOf, required] of texts) {
    const value = discover[key];
    if (value === undefined && !required) continue;
    if (typeof value !== 'string') return { key: `discover.${key}`, problem: 'needs a string' };
    // A value that is a variable from its start is known only per message (decide checks it).
    if (/^\$(\{?[A-Za-z_])/.test(value)) continue;
    const problem = problemOf(sample(value));
    if (problem) return { key: `discover.${key}`, problem };
  }
  if (discover.recursive !== undefined && typeof discover.recursive !== 'boolean')
    return { key: 'discover.recursive', problem: 'needs true or false' };
  return null;
}

function checkAction(action: unknown): { key: string | null; problem: string } | null {
  if (!isObject(action))
    return { key: null, problem: 'needs a mapping with tasks or discover (and arches)' };
  for (const key of Object.keys(action))
    if (!ACTION_KEYS.has(key))
      return { key, problem: `unknown key (tasks, discover, arches, match_host_arch)` };
  if (action.tasks === undefined && action.discover === undefined)
    return { key: null, problem: 'needs tasks or discover' };
  if (action.tasks !== undefined && action.discover !== undefined)
    return {
      key: null,
      problem: 'has both tasks and discover: give one per action (do: may list one of each)',
    };
  if (action.match_host_arch !== undefined && typeof action.match_host_arch !== 'boolean')
    return { key: 'match_host_arch', problem: 'needs true or false' };
  if (action.match_host_arch === true && action.arches !== undefined)
    return {
      key: 'match_host_arch',
      problem: "takes the item's arches: give arches or match_host_arch: true, not both",
    };
  if (action.discover !== undefined) {
    const bad = discoverProblem(action.discover);
    if (bad) return bad;
  } else {
    const tasks = stringList(action.tasks, TASK_NAME, 'task names');
    if (tasks) return { key: 'tasks', problem: tasks };
  }
  if (action.arches === undefined) return null;
  const arches = stringList(action.arches, ARCH, 'arches');
  return arches ? { key: 'arches', problem: arches } : null;
}

function checkRule(
  raw: unknown,
  n: number,
  source: string,
  lineOf: (node: unknown) => number | undefined,
): Rule {
  const line = lineOf(raw) ?? 1;
  const fail = (rule: string, key: string | null, problem: string, at?: unknown): never => {
    throw new RulesError(source, lineOf(at) ?? line, rule, key, problem);
  };
  if (!isObject(raw)) return fail(`rule ${n}`, null, 'needs a mapping with when and do');
  const label =
    typeof raw.name === 'string' && raw.name.trim() ? `rule ${n} (${raw.name})` : `rule ${n}`;
  for (const key of Object.keys(raw))
    if (!RULE_KEYS.has(key)) fail(label, key, 'unknown key (name, when, do, enabled, reason)');
  if (raw.name !== undefined && (typeof raw.name !== 'string' || !raw.name.trim()))
    fail(label, 'name', 'needs a non-empty string');
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean')
    fail(label, 'enabled', 'needs true or false');
  if (raw.reason !== undefined && (typeof raw.reason !== 'string' || !raw.reason.trim()))
    fail(label, 'reason', 'needs a non-empty string');
  if (raw.enabled === false && raw.reason === undefined)
    fail(label, 'reason', 'a disabled rule needs a reason (why, and until when)');
  if (!isObject(raw.when)) fail(label, 'when', 'needs a mapping (a MongoDB-style query)');
  const problem = queryProblem(substitute(raw.when, sampleValues), 'when');
  if (problem) fail(label, problem.path, problem.reason, raw.when);
  if (!Array.isArray(raw.do) || raw.do.length === 0)
    fail(label, 'do', 'needs a non-empty list of actions');
  const actions = raw.do as unknown[];
  actions.forEach((action, i) => {
    const bad = checkAction(action);
    if (bad) fail(label, `do[${i}]${bad.key ? `.${bad.key}` : ''}`, bad.problem, action);
  });
  return {
    name: typeof raw.name === 'string' ? raw.name : `rule ${n}`,
    line,
    enabled: raw.enabled !== false,
    ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}),
    when: raw.when as Query,
    do: actions as Action[],
  };
}

/** Reads a trigger rules file (a YAML list of rules); throws RulesError naming what is wrong. */
export function loadRules(text: string, source = 'trigger rules'): Rule[] {
  const { doc, lineOf } = parseTemplate(text, source);
  if (doc === undefined || doc === null) return [];
  if (!Array.isArray(doc))
    throw new RulesError(source, 1, null, null, 'needs a YAML list of rules');
  return doc.map((raw, i) => checkRule(raw, i + 1, source, lineOf));
}

/** One (task, arch) to schedule, with the rules that asked for it. */
export interface Wanted {
  taskname: string;
  arch: string;
  rules: string[];
  /**
   * A discovered check's repository, branch and the commit the branch was at (trigger.ts): its
   * taskname is a path in it.
   */
  git_repo?: string;
  git_branch?: string;
  git_commit?: string;
}

/** A `discover` action of a rule that fired: the trigger clones the repository and schedules. */
export interface Discovery {
  rule: string;
  /** After substitution; `problem` says why they cannot be used. */
  repo: string;
  branch: string;
  fallback_branch?: string;
  recursive: boolean;
  /** The arches each check found is scheduled on (valid ones only). */
  arches: string[];
  /** Why this repository is not cloned (a value from the message that is no URL or branch). */
  problem?: string;
}

export interface Decision {
  wanted: Wanted[];
  /** Repositories to look for checks in (discover actions of the rules that matched). */
  discover: Discovery[];
  /** Names of the rules whose `when` matched. */
  matched: string[];
  /** Disabled rules, with their reason: never evaluated. */
  disabled: Array<{ rule: string; reason: string }>;
  /** Rules that could not be evaluated on this message (e.g. a variable of the wrong type). */
  errors: Array<{ rule: string; error: string }>;
  /** Arches a matching rule asked for that `validArches` leaves out: not scheduled. */
  dropped: Array<{ rule: string; arch: string; reason: string }>;
}

/** Always valid, whatever `valid_arches` says: Taskotron's rules asked for it beside them. */
const NOARCH = 'noarch';

export interface DecideOptions {
  /** Arches for actions without `arches`. */
  defaultArches?: readonly string[];
  /**
   * The arches jobs may have besides `noarch` (Taskotron's `valid_arches`): any other arch a
   * rule asks for is dropped, with the reason. Absent: no limit.
   */
  validArches?: readonly string[];
}

/**
 * The arches of the item, for `match_host_arch: true` (pure): the message's `arches` when its
 * normalised data has that field (a list of arches), else every arch of `validArches` (every
 * arch the deployment runs checks on: Koji's build messages do not say which arches a build
 * has), else `defaultArches`.
 */
export function hostArches(
  data: Record<string, unknown>,
  options: Required<Pick<DecideOptions, 'defaultArches'>> & DecideOptions,
): readonly string[] {
  const given = data.arches;
  if (Array.isArray(given) && given.length > 0 && given.every((a) => typeof a === 'string'))
    return [...new Set(given as string[])];
  return options.validArches ?? options.defaultArches;
}

/** The arches an action schedules on, and those `validArches` leaves out (pure). */
export function actionArches(
  action: Pick<Action, 'arches' | 'match_host_arch'>,
  data: Record<string, unknown>,
  options: Required<Pick<DecideOptions, 'defaultArches'>> & DecideOptions,
): { arches: string[]; dropped: string[] } {
  const asked = action.match_host_arch
    ? hostArches(data, options)
    : (action.arches ?? options.defaultArches);
  for (const a of asked)
    if (!ARCH.test(a)) throw new Error(`arch ${JSON.stringify(a)} is not valid`);
  const valid = (arch: string) =>
    arch === NOARCH || !options.validArches || options.validArches.includes(arch);
  return { arches: asked.filter(valid), dropped: asked.filter((a) => !valid(a)) };
}

const discoveryProblem = (d: Record<string, unknown>): string | null => {
  for (const key of ['repo', 'branch', 'fallback_branch'] as const) {
    const v = d[key];
    if (v === undefined && key === 'fallback_branch') continue;
    if (typeof v !== 'string') return `discover.${key} is not a string in this message`;
    if (hasPlaceholder(v))
      return `discover.${key} ${JSON.stringify(v)} names a variable this message does not have`;
    const problem = key === 'repo' ? repoProblem(v) : branchProblem(v);
    if (problem) return problem;
  }
  return null;
};

function actionJobs(
  action: Action,
  data: Record<string, unknown>,
  options: Required<Pick<DecideOptions, 'defaultArches'>> & DecideOptions,
): {
  jobs: Array<{ taskname: string; arch: string }>;
  dropped: string[];
  discover?: Omit<Discovery, 'rule'>;
} {
  const tasks = action.tasks ?? [];
  for (const t of tasks)
    if (!TASK_NAME.test(t)) throw new Error(`task name ${JSON.stringify(t)} is not valid`);
  const { arches, dropped } = actionArches(action, data, options);
  if (action.discover) {
    const d = action.discover as unknown as Record<string, unknown>;
    const problem = discoveryProblem(d);
    const discover: Omit<Discovery, 'rule'> = {
      repo: String(d.repo),
      branch: String(d.branch),
      ...(d.fallback_branch === undefined ? {} : { fallback_branch: String(d.fallback_branch) }),
      recursive: d.recursive === true,
      arches,
      ...(problem ? { problem } : {}),
    };
    return { jobs: [], dropped, discover };
  }
  return {
    jobs: tasks.flatMap((taskname) => arches.map((arch) => ({ taskname, arch }))),
    dropped,
  };
}

/**
 * What a normalised message schedules: every enabled rule whose `when` matches adds its tasks
 * (all matching rules fire); the same (task, arch) asked twice is wanted once. A rule that
 * cannot be evaluated is reported and the others still fire. `discover` actions are listed in
 * `discover`, for the trigger to clone (the one part that is not pure).
 */
export function decide(
  rules: readonly Rule[],
  data: Record<string, unknown>,
  options: DecideOptions = {},
): Decision {
  const expand = { ...options, defaultArches: options.defaultArches ?? [NOARCH] };
  const decision: Decision = {
    wanted: [],
    discover: [],
    matched: [],
    disabled: [],
    errors: [],
    dropped: [],
  };
  const byKey = new Map<string, Wanted>();
  const lookup = fieldsOf(data);
  for (const rule of rules) {
    if (!rule.enabled) {
      decision.disabled.push({ rule: rule.name, reason: rule.reason ?? '' });
      continue;
    }
    try {
      if (!matches(substitute(rule.when, lookup), data)) continue;
      const expanded = rule.do.map((a) =>
        actionJobs(substitute(a, lookup) as Action, data, expand),
      );
      const jobs = expanded.flatMap((e) => e.jobs);
      decision.matched.push(rule.name);
      for (const e of expanded)
        if (e.discover) decision.discover.push({ rule: rule.name, ...e.discover });
      for (const arch of new Set(expanded.flatMap((e) => e.dropped)))
        decision.dropped.push({
          rule: rule.name,
          arch,
          reason: `arch ${arch} is not in taskotron.valid_arches (${options.validArches!.join(', ')})`,
        });
      for (const job of jobs) {
        const key = `${job.taskname}\0${job.arch}`;
        const seen = byKey.get(key);
        if (seen) {
          if (!seen.rules.includes(rule.name)) seen.rules.push(rule.name);
        } else {
          const wanted = { ...job, rules: [rule.name] };
          byKey.set(key, wanted);
          decision.wanted.push(wanted);
        }
      }
    } catch (err) {
      const error = err instanceof QueryError || err instanceof Error ? err.message : String(err);
      decision.errors.push({ rule: rule.name, error });
    }
  }
  return decision;
}
