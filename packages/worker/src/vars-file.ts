import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoopabullEvent } from '@loopabull/core';

export interface RunMeta {
  job_id: string;
  attempt: number;
}

/**
 * YAML 1.1 (PyYAML, which Ansible reads vars files with) refuses these raw in a stream, and a
 * raw line break (including U+0085/U+2028/U+2029) inside a double-quoted scalar would be folded:
 * all are written as escapes. Lone surrogates too, so the file stays valid UTF-8.
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

/** `!unsafe` makes Ansible treat the string as data: it is never templated. */
function unsafe(s: string): string {
  return `!unsafe "${s.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

/**
 * YAML 1.1 reads `1e+21` or `1e-07` as strings: a float needs a dot in its mantissa and a sign
 * in its exponent there.
 */
function number(n: number): string {
  const text = String(n);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const mantissa = text.slice(0, e);
  return `${mantissa.includes('.') ? mantissa : mantissa + '.0'}e${text.slice(e + 1)}`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A scalar or empty collection on the line of its key or dash; null when it needs a block. */
function inline(value: Json): string | null {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'string') return unsafe(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  return Object.keys(value).length === 0 ? '{}' : null;
}

function entry(head: string, value: Json, indent: string, out: string[]): void {
  const text = inline(value);
  if (text !== null) {
    out.push(`${head} ${text}`);
    return;
  }
  out.push(head);
  block(value, indent + '  ', out);
}

function block(value: Json, indent: string, out: string[], plainKeys = false): void {
  if (Array.isArray(value)) {
    for (const item of value) entry(`${indent}-`, item, indent, out);
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, Json>)) {
    entry(`${indent}${plainKeys ? key : unsafe(key)}:`, item, indent, out);
  }
}

/**
 * The extra-vars file of one run: `msg` (Loopabull-compatible) and `loopabull` metadata. Every
 * string from the message, keys included, is tagged `!unsafe`; only this file's own structure
 * (`msg`, `loopabull` and the metadata's field names) is plain.
 */
export function renderVars(event: LoopabullEvent, meta: RunMeta): string {
  // The queue holds events as JSON; going through it here means `loopabull run` sees what a worker sees.
  const json = JSON.parse(JSON.stringify({ event, meta })) as {
    event: Record<string, Json>;
    meta: Record<string, Json>;
  };
  const e = json.event;
  const loopabull: Record<string, Json> = {
    topic: e.topic ?? null,
    id: e.id ?? null,
    headers: e.headers ?? {},
    exchange: e.exchange ?? null,
    routing_key: e.routing_key ?? null,
    sent_at: e.sent_at ?? null,
    received_at: e.received_at ?? null,
    job_id: json.meta.job_id ?? null,
    attempt: json.meta.attempt ?? null,
  };
  const out: string[] = [];
  entry('msg:', e.body ?? null, '', out);
  out.push('loopabull:');
  block(loopabull, '  ', out, true);
  return out.join('\n') + '\n';
}

/**
 * Runs `fn` with the vars written to a file in a new private directory, and removes both
 * afterwards whatever happens: the file holds the message, which may be confidential.
 */
export async function withVarsFile<T>(
  content: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'loopabull-vars-'));
  try {
    const path = join(dir, 'vars.yml');
    await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
