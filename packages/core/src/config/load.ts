import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { busFromLegacyLooper } from './legacy.js';
import { configSchema, type Config } from './schema.js';

export interface LoadConfigOptions {
  /** `--config PATH`: must exist when given. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const SYSTEM_CONFIG = '/etc/loopabull/loopabull.yml';

/** The first of `--config`, `$LOOPABULL_CONFIG`, `./loopabull.yml`, `/etc/loopabull/loopabull.yml`. */
export function locateConfig(opts: LoadConfigOptions = {}): string | null {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path ?? env.LOOPABULL_CONFIG;
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
    return path;
  }
  for (const candidate of [resolve(cwd, 'loopabull.yml'), SYSTEM_CONFIG]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function readYaml(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(path, 'utf8'), { filename: path });
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${path}: the top level must be a mapping of keys`);
  }
  return doc as Record<string, unknown>;
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

/** Environment variables that override the file, as the spec fixes them. */
const ENV_OVERRIDES: Array<[string, string[], (v: string) => unknown]> = [
  ['REDIS_URL', ['redis', 'url'], String],
  ['AMQP_URL', ['bus', 'url'], String],
  ['LOOPABULL_PLAYBOOKS_DIR', ['ansible', 'playbooks_dir'], String],
  ['LOOPABULL_HTTP_PORT', ['http', 'port'], (v) => (/^\d+$/.test(v) ? Number(v) : v)],
];

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (key ? `${key}.${k}` : k));
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  return `${key || '(top level)'}: ${issue.message}`;
}

/** Paths in a file are relative to the file; without a file, to the working directory. */
function resolvePaths(config: Config, base: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
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
    taskotron: {
      ...config.taskotron,
      rules: abs(config.taskotron.rules),
      tasks_dir: abs(config.taskotron.tasks_dir),
      artifacts_dir: abs(config.taskotron.artifacts_dir),
    },
  };
}

/**
 * Finds, reads and validates the configuration. Every problem is a ConfigError that names the
 * file and the key, raised before anything connects.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const source = locateConfig(opts);
  const raw = source ? readYaml(source) : {};
  const plugins = raw.plugins as Record<string, unknown> | undefined;
  const looper = plugins?.looper;
  if (raw.bus === undefined && typeof looper === 'object' && looper !== null) {
    raw.bus = busFromLegacyLooper(looper as Record<string, unknown>);
  }
  const overridden: string[] = [];
  for (const [name, path, parse] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setIn(raw, path, parse(value));
      overridden.push(`${path.join('.')} (from $${name})`);
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const where = source ?? 'the built-in defaults';
    const problems = parsed.error.issues.map((issue) => {
      const text = describeIssue(issue);
      const fromEnv = overridden.find((o) => o.startsWith(issue.path.join('.') + ' '));
      return fromEnv ? `${text} [${fromEnv}]` : text;
    });
    throw new ConfigError(`invalid configuration in ${where}:\n  - ${problems.join('\n  - ')}`);
  }
  return resolvePaths({ ...parsed.data, source }, source ? dirname(source) : cwd);
}
