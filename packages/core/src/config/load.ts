import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Automation } from '../automation.js';
import { isObject } from '../json-object.js';
import { busFromLegacyLooper, workQueueFromLegacyLooper } from './legacy.js';
import { configSchema, type AutomationSection, type Config } from './schema.js';
import { whyUnreadable } from './unreadable.js';

export interface LoadConfigOptions {
  /** `--config PATH`: must exist when given. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The registered automations: each one's section is validated with the rest of the file. */
  automations?: readonly Automation[];
  /**
   * The last place looked at, `SYSTEM_CONFIG` by default. Tests point it elsewhere to check the
   * lookup order without writing to /etc; the CLI never sets it.
   */
  systemPath?: string;
}

/** The system-wide configuration file, looked at when no other is found. */
export const SYSTEM_CONFIG = '/etc/loopabull/loopabull.yml';

/** The first of `--config`, `$LOOPABULL_CONFIG`, `./loopabull.yml`, `/etc/loopabull/loopabull.yml`. */
export function locateConfig(opts: LoadConfigOptions = {}): string | null {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  // An empty --config is what a unit's `--config ${CONFIG_FILE}` passes when its environment
  // file sets `CONFIG_FILE=`: searching on from there would run the service on another file, or
  // on the built-in defaults (the local broker's whole amq.topic), silently.
  if (opts.path === '')
    throw new ConfigError(
      "--config names no file (an empty path). Give the config file's path; a systemd unit passes " +
        '--config ${CONFIG_FILE}: check CONFIG_FILE in its environment file (/etc/sysconfig/loopabull)',
    );
  const explicit = opts.path ?? env.LOOPABULL_CONFIG;
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (existsSync(path)) return path;
    // A variable set long ago in a shell or a unit is easy to forget: say where the path came from.
    const from = opts.path
      ? ''
      : ' ($LOOPABULL_CONFIG names it: correct it, or unset it to use ./loopabull.yml, /etc/loopabull/loopabull.yml or the built-in defaults)';
    throw new ConfigError(`config file ${path} does not exist${from}`);
  }
  for (const candidate of [resolve(cwd, 'loopabull.yml'), opts.systemPath ?? SYSTEM_CONFIG]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Why a config file that exists cannot be read, in words (a directory, no permission). */
const unreadable = (err: NodeJS.ErrnoException): string =>
  err.code === 'EISDIR' ? 'it is a directory; name the YAML file in it' : whyUnreadable(err);

/**
 * YAML 1.1's booleans as PyYAML reads them: `yes`, `no`, `on` and `off` too, besides the `true`
 * and `false` of js-yaml's YAML 1.2 (this type takes the place of its own). Loopabull 0.0.7 read
 * its file with PyYAML, and its `channel_queue: { durable: yes }` was a boolean there.
 */
const YAML11_BOOLEANS: Record<string, boolean> = Object.fromEntries(
  ['true', 'yes', 'on', 'false', 'no', 'off'].flatMap((word) =>
    [word, word[0]!.toUpperCase() + word.slice(1), word.toUpperCase()].map((w) => [
      w,
      ['true', 'yes', 'on'].includes(word),
    ]),
  ),
);
const CONFIG_SCHEMA = yaml.DEFAULT_SCHEMA.extend({
  implicit: [
    new yaml.Type('tag:yaml.org,2002:bool', {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && Object.hasOwn(YAML11_BOOLEANS, data),
      construct: (data: string) => YAML11_BOOLEANS[data],
    }),
  ],
});

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config file ${path} cannot be read: ${unreadable(err as NodeJS.ErrnoException)}`,
    );
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: path, schema: CONFIG_SCHEMA });
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${yamlProblem(err)}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${path}: the top level must be a mapping of keys`);
  }
  return doc as Record<string, unknown>;
}

/**
 * js-yaml's reason and where, without the lines around it that its message quotes: those are the
 * config's own, passwords and http.token included, and the message goes to the journal.
 */
function yamlProblem(err: unknown): string {
  if (!(err instanceof yaml.YAMLException)) return (err as Error).message;
  const { reason, mark } = err as yaml.YAMLException & {
    mark?: { line: number; column: number } | null;
  };
  return mark ? `${reason} (line ${mark.line + 1}, column ${mark.column + 1})` : reason;
}

function setIn(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let node = obj;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** A whole number stays a string otherwise, for the schema to name as wrong. */
const numeric = (v: string): unknown => (/^\d+$/.test(v) ? Number(v) : v);

/**
 * Environment variables that override the file (docs/configuration.md). A path in one is
 * relative to the working directory, where it was typed, not to the file.
 */
const ENV_OVERRIDES: Array<[string, string[], (v: string, cwd: string) => unknown]> = [
  ['REDIS_URL', ['redis', 'url'], String],
  ['AMQP_URL', ['bus', 'url'], String],
  ['LOOPABULL_PLAYBOOKS_DIR', ['ansible', 'playbooks_dir'], (v, cwd) => resolveFrom(cwd, v)],
  ['LOOPABULL_HTTP_PORT', ['http', 'port'], numeric],
  ['LOOPABULL_BUS_QUEUE', ['bus', 'queue'], String],
  ['LOOPABULL_BUS_QUEUE_EXPIRES', ['bus', 'queue_expires'], numeric],
];

/**
 * Keys of older Loopabull files and of Fedora's deployment that are spelt differently now: the
 * README's `plugin`, early releases' `path_translator`, the wshearn fork's inventory and modules
 * (never upstream: 0.0.7 passed no `-i` or `-M`), and the loopabull role's variables written into
 * the file as they were.
 */
const MOVED_KEYS: Record<string, string> = {
  plugin: 'plugins.looper.name, or a bus section for the bus itself',
  path_translator: 'plugins.translator.name',
  playbooks_dir: 'ansible.playbooks_dir',
  playbook_cmd: 'ansible.playbook_cmd',
  ansible_cfg_path: 'ansible.cfg_file_path',
  cfg_file_path: 'ansible.cfg_file_path',
  'ansible.ansible_cfg_path': 'ansible.cfg_file_path',
  'ansible.inventory_path':
    'the inventory setting of the ansible.cfg that ansible.cfg_file_path names',
  'ansible.modules_dir': 'the library setting of the ansible.cfg that ansible.cfg_file_path names',
};

function describeIssue(issue: z.core.$ZodIssue, automations: readonly Automation[]): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const paths = issue.keys.map((k) => (key ? `${key}.${k}` : k));
    const moved = paths
      .filter((path) => path in MOVED_KEYS)
      .map((path) => `unknown key ${path}: use ${MOVED_KEYS[path]}`);
    const keys = paths.filter((path) => !(path in MOVED_KEYS));
    if (keys.length === 0) return moved.join('\n  - ');
    // A section for an automation this installation does not have is the likely mistake there.
    const hint = key
      ? ''
      : ` (automation sections here: ${automations.map((a) => a.name).join(', ') || 'none'})`;
    return [`unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}${hint}`, ...moved].join(
      '\n  - ',
    );
  }
  return `${key || '(top level)'}: ${issue.message}`;
}

const invalidIn = (where: string, problems: string[]) =>
  new ConfigError(`invalid configuration in ${where}:\n  - ${problems.join('\n  - ')}`);

/** Core's schema with one section per automation, each under the automation's name. */
function schemaWith(automations: readonly Automation[]) {
  const sections: Record<string, z.ZodType> = {};
  for (const a of automations) {
    if (a.name in configSchema.shape || a.name in sections)
      throw new Error(`automation ${a.name}: its name is already a configuration section`);
    sections[a.name] = a.section.prefault({});
  }
  return configSchema.extend(sections);
}

/** Paths in a file are relative to the file; without a file, to the working directory. */
export const resolveFrom = (base: string, path: string): string =>
  isAbsolute(path) ? path : resolve(base, path);

function resolvePaths(config: Config, base: string): Config {
  const abs = (p: string) => resolveFrom(base, p);
  const tls = config.bus.tls;
  return {
    ...config,
    ansible: {
      ...config.ansible,
      playbooks_dir: abs(config.ansible.playbooks_dir),
      cfg_file_path: config.ansible.cfg_file_path && abs(config.ansible.cfg_file_path),
    },
    bus: {
      ...config.bus,
      tls: {
        ca_cert: tls.ca_cert && abs(tls.ca_cert),
        certfile: tls.certfile && abs(tls.certfile),
        keyfile: tls.keyfile && abs(tls.keyfile),
      },
    },
  };
}

/** The top-level keys of a Loopabull 0.0.7 file. */
const LEGACY_KEYS = new Set(['loglevel', 'routing_keys', 'ansible', 'plugins']);

/**
 * A file written for the original, which ran playbooks and nothing else, perhaps with an
 * automation added by name: 0.0.7's keys and no other but automation sections, or any file that
 * keeps 0.0.7's `plugins.looper` block, which no file of this version's needs. A `redis:` added to
 * such a file to point it at another Redis must not start three automations beside its playbooks.
 */
const isLegacyFile = (raw: Record<string, unknown>, automations: readonly Automation[]): boolean =>
  isObject((raw.plugins as Record<string, unknown> | undefined)?.looper) ||
  (('plugins' in raw || 'routing_keys' in raw) &&
    Object.keys(raw).every((k) => LEGACY_KEYS.has(k) || automations.some((a) => a.name === k)));

/**
 * Finds, reads and validates the configuration. Every problem is a ConfigError that names the
 * file and the key, raised before anything connects.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const source = locateConfig(opts);
  const raw = source ? readYaml(source) : {};
  const automations = opts.automations ?? [];
  // The shipped automations are on by default, each with its database or routes; a 0.0.7 file
  // kept for the upgrade would start them beside its playbooks (and make a SQLite file next to
  // it, /etc/loopabull.db as root). Such a file runs playbooks alone, as it did, and those it names.
  if (isLegacyFile(raw, automations))
    for (const a of automations) raw[a.name] ??= { enabled: false };
  const plugins = raw.plugins as Record<string, unknown> | undefined;
  const looper = plugins?.looper;
  const where = source ?? 'the built-in defaults';
  if (raw.bus === undefined && isObject(looper)) {
    try {
      raw.bus = busFromLegacyLooper(looper);
      const name = workQueueFromLegacyLooper(looper);
      const queue = isObject(raw.queue) ? raw.queue : {};
      if (name !== null && queue.name === undefined) raw.queue = { ...queue, name };
    } catch (err) {
      if (err instanceof ConfigError) throw invalidIn(where, [err.message]);
      throw err;
    }
  }
  const overridden: string[] = [];
  for (const [name, path, parse] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setIn(raw, path, parse(value, cwd));
      overridden.push(`${path.join('.')} (from $${name})`);
    }
  }
  const parsed = schemaWith(automations).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const text = describeIssue(issue, automations);
      const fromEnv = overridden.find((o) => o.startsWith(issue.path.join('.') + ' '));
      return fromEnv ? `${text} [${fromEnv}]` : text;
    });
    throw invalidIn(where, problems);
  }
  const data = parsed.data as Record<string, unknown>;
  const sections: Record<string, AutomationSection> = {};
  for (const a of automations) {
    sections[a.name] = data[a.name] as AutomationSection;
    delete data[a.name];
  }
  const dir = source ? dirname(source) : cwd;
  const core = data as z.output<typeof configSchema>;
  return resolvePaths({ ...core, source, dir, sections }, dir);
}
