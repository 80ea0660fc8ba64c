import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoopabullEvent } from '@loopabull/core';
// Not the barrel: `loopabull run --dry-run` renders vars without loading the engine.
import {
  member,
  nestingDepth,
  numberLiteral,
  numberLiterals,
  pythonNumber,
  PYTHON_MAX_INT_DIGITS,
} from '@loopabull/core/json';
import { onExit } from './exit-cleanup.js';
import { RunError } from './run-error.js';

export interface RunMeta {
  job_id: string;
  attempt: number;
}

/**
 * YAML 1.1 (PyYAML, which Ansible reads vars files with) refuses these raw in a stream, and a
 * raw line break (including U+0085/U+2028/U+2029) inside a double-quoted scalar would be folded:
 * all are written as escapes. A character past U+FFFF is written raw, never as the escapes of its
 * surrogate pair, which libyaml refuses as it refuses a lone one. (Lone surrogates never get
 * here: see LONE_SURROGATE.)
 */
const NEEDS_ESCAPE =
  /["\\]|[^\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
};

function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short) return short;
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff
    ? `\\x${cp.toString(16).padStart(2, '0')}`
    : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * A lone surrogate (JSON's `"\ud800"`, half of a UTF-16 pair) can be written neither raw (no
 * UTF-8 encodes it) nor as the escape `\ud800`: pure-Python PyYAML reads that escape, but
 * ansible-core reads vars files with PyYAML's libyaml loader where PyYAML has it (distribution
 * packages do), and libyaml refuses it: ansible-playbook exits 4 having run nothing, as 0.0.7's
 * did with its `yaml.safe_dump`. A lone surrogate is no character anyway, so it becomes U+FFFD,
 * as any UTF-8 decoder makes it; a well-formed pair is kept.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\uFFFD');

/** `!unsafe` makes Ansible treat the string as data: it is never templated. */
function unsafe(s: string): string {
  return `!unsafe "${wellFormed(s).replace(NEEDS_ESCAPE, escapeChar)}"`;
}

/**
 * PyYAML takes a key written `key: value` only if the key is at most 1024 characters on its
 * line; a longer one is written in the explicit form (`? key` then `: value`), which has no limit.
 */
const IMPLICIT_KEY_MAX = 1000;

/**
 * Deeper than this, ansible-playbook 2.14 stops reading the file with "maximum recursion depth
 * exceeded", exit 250, which would be retried. The looper parks such messages (bus.max_depth,
 * at most 256); this is for events that came another way, such as `loopabull run --file`.
 */
export const VARS_MAX_DEPTH = 300;

/**
 * A number's text as YAML 1.1 reads it as the same number: `1e+21` or `1e-07` would be strings
 * there, where a float needs a dot in its mantissa and a sign in its exponent; `inf` is `.inf`.
 */
function yamlNumber(text: string): string {
  if (/^-?inf$/.test(text)) return text.replace('inf', '.inf');
  const e = text.indexOf('e');
  if (e < 0) return text;
  const mantissa = text.slice(0, e);
  return `${mantissa.includes('.') ? mantissa : mantissa + '.0'}e${text.slice(e + 1)}`;
}

/** An int literal PyYAML would refuse to read, failing the run: its digits are over Python's limit. */
const TOO_LONG_INT = new RegExp(`^-?\\d{${PYTHON_MAX_INT_DIGITS + 1},}$`);

/**
 * A number as Python's json read it from its literal in the body, when there is one (the event's
 * `body_text`): `1.0` a float, `12345678901234567890` an int, exact, `1e400` inf. Without one,
 * when the literal does not read as `value`, or for an int PyYAML would refuse, the number
 * JSON.parse made (null for one past the float range, as the queue's JSON keeps it).
 */
function number(value: number | null, literal: unknown): string {
  const written = numberLiteral(value, literal);
  if (written !== undefined && !TOO_LONG_INT.test(written))
    return yamlNumber(pythonNumber(written));
  return value === null ? 'null' : yamlNumber(String(value));
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A scalar or empty collection on the line of its key or dash; null when it needs a block.
 * `literals` is the value as numberLiterals reads the body's text, when the event has one.
 */
function inline(value: Json, literals: unknown): string | null {
  if (value === null || typeof value === 'number') return number(value, literals);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return unsafe(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  return Object.keys(value).length === 0 ? '{}' : null;
}

function entry(head: string, value: Json, literals: unknown, indent: string, out: string[]): void {
  const text = inline(value, literals);
  if (text !== null) {
    out.push(`${head} ${text}`);
    return;
  }
  out.push(head);
  block(value, literals, indent + '  ', out);
}

function block(
  value: Json,
  literals: unknown,
  indent: string,
  out: string[],
  plainKeys = false,
): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries())
      entry(`${indent}-`, item, member(literals, i), indent, out);
    return;
  }
  // Keys that differ only in lone surrogates are one key once written: the last value wins, as
  // it would in JSON, rather than leaving the YAML reader a duplicate key.
  const entries = new Map<string, [Json, unknown]>();
  for (const [key, item] of Object.entries(value as Record<string, Json>))
    entries.set(wellFormed(key), [item, member(literals, key)]);
  for (const [key, [item, itemLiterals]] of entries) {
    const text = plainKeys ? key : unsafe(key);
    if (text.length <= IMPLICIT_KEY_MAX) {
      entry(`${indent}${text}:`, item, itemLiterals, indent, out);
    } else {
      out.push(`${indent}? ${text}`);
      entry(`${indent}:`, item, itemLiterals, indent, out);
    }
  }
}

interface EventVars {
  body: Json;
  loopabull: Record<string, Json>;
}

/** An event as a run's vars hold it. Throws a permanent RunError for a body nested too deep. */
function eventVars(event: LoopabullEvent, meta: RunMeta): EventVars {
  // Before JSON.stringify below, which overflows the stack on a few thousand levels.
  const depth = nestingDepth(event.body, VARS_MAX_DEPTH);
  if (depth > VARS_MAX_DEPTH) {
    throw new RunError(
      `the message body is nested deeper than the ${VARS_MAX_DEPTH} levels ansible-playbook reads`,
      null,
      true,
    );
  }
  // The queue holds events as JSON; going through it here means `loopabull run` sees what a worker sees.
  const json = JSON.parse(JSON.stringify({ event, meta })) as {
    event: Record<string, Json>;
    meta: Record<string, Json>;
  };
  const e = json.event;
  return {
    body: e.body ?? null,
    loopabull: {
      topic: e.topic ?? null,
      id: e.id ?? null,
      headers: e.headers ?? {},
      exchange: e.exchange ?? null,
      routing_key: e.routing_key ?? null,
      sent_at: e.sent_at ?? null,
      received_at: e.received_at ?? null,
      job_id: json.meta.job_id ?? null,
      attempt: json.meta.attempt ?? null,
    },
  };
}

/** The body's numbers as written (numberLiterals), when the event carries its text. */
const literalsOf = (event: LoopabullEvent): unknown =>
  typeof event.body_text === 'string' ? numberLiterals(event.body_text) : undefined;

/**
 * The extra-vars file of one run: `msg` (Loopabull-compatible) and `loopabull` metadata. Every
 * string from the message, keys included, is tagged `!unsafe`; only this file's own structure
 * (`msg`, `loopabull` and the metadata's field names) is plain. Throws a permanent RunError for
 * a body nested deeper than VARS_MAX_DEPTH.
 */
export function renderVars(event: LoopabullEvent, meta: RunMeta): string {
  const { body, loopabull } = eventVars(event, meta);
  const out: string[] = [];
  entry('msg:', body, literalsOf(event), '', out);
  out.push('loopabull:');
  block(loopabull, undefined, '  ', out, true);
  return out.join('\n') + '\n';
}

/**
 * An extra-vars file of top-level variables named by the caller (plain keys, so playbooks read
 * them as `{{ item }}`) whose values are data: every string in them is tagged `!unsafe`, as
 * message content is in `renderVars`.
 */
export function renderExtraVars(vars: Record<string, Json>): string {
  const out: string[] = [];
  block(vars, undefined, '', out, true);
  return out.join('\n') + '\n';
}

/**
 * Checks that an event can go into a batch's vars; throws what `renderVars` would for it, so
 * one such event fails its own job instead of the whole batch.
 */
export function checkVars(event: LoopabullEvent, meta: RunMeta): void {
  eventVars(event, meta);
}

/**
 * The extra-vars file of a batched playbook run: `msgs`, the bodies in order, and
 * `loopabull_msgs`, each one's `loopabull` metadata at the same index. Tagged as `renderVars` does.
 */
export function renderBatchVars(
  runs: ReadonlyArray<{ event: LoopabullEvent; meta: RunMeta }>,
): string {
  const vars = runs.map((r) => eventVars(r.event, r.meta));
  const out: string[] = [];
  entry(
    'msgs:',
    vars.map((v) => v.body),
    runs.map((r) => literalsOf(r.event)),
    '',
    out,
  );
  out.push('loopabull_msgs:');
  for (const v of vars) {
    out.push('  -');
    block(v.loopabull, undefined, '    ', out, true);
  }
  return out.join('\n') + '\n';
}

/** A run's directory: `loopabull-vars-<pid of the worker>-<random>`, so that one left is known. */
const VARS_DIR = /^loopabull-vars-(\d+)-[A-Za-z0-9]{6}$/;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the run directories (vars files, with the messages they hold) that processes no
 * longer running left in `dir`: a worker killed with SIGKILL, or with its host, removes nothing.
 * Returns their names. A worker calls it as it starts.
 */
export function removeLeftVarsDirs(dir: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const left = names.filter((name) => {
    const pid = VARS_DIR.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  });
  for (const name of left) rmSync(join(dir, name), { recursive: true, force: true });
  return left;
}

/**
 * Runs `fn` with the vars written to a file in a new private directory, and removes both
 * afterwards whatever happens: the file holds the message, which may be confidential (and what
 * a process killed before it could remove them leaves, `removeLeftVarsDirs` does). Both are
 * made and removed with synchronous calls: for a small file in a directory of its own, that
 * takes less CPU than a round trip through the thread pool for each call.
 */
export async function withVarsFile<T>(
  content: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `loopabull-vars-${process.pid}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const forget = onExit(remove);
  try {
    const path = join(dir, 'vars.yml');
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
    return await fn(path);
  } finally {
    remove();
    forget();
  }
}
