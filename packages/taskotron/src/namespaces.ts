import { resolve } from 'node:path';
import type { AutomationEnv } from '@loopabull/core/cli';
import type { ResultsSink } from './results-sink.js';
import type { TaskotronSection } from './section.js';

/**
 * Who may report under which checkname namespace (libtaskotron's `namespaces_safe` and
 * `namespaces_whitelist`, part E.7): anyone in a safe one, else only checks whose origin starts
 * with one of the namespace's entries.
 */
export interface NamespacePolicy {
  safe: readonly string[];
  whitelist: Readonly<Record<string, readonly string[]>>;
}

/** A local check's origin: its directory, ending in `/` so that a prefix is a whole directory. */
export const checkOrigin = (taskDir: string): string => resolve(taskDir) + '/';

const isUrl = (entry: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(entry);

/**
 * The section's policy with paths made absolute. Without `namespaces_whitelist`, checks in
 * `tasks_dir` (the deployment's own) may report `dist.`, and nothing may report `pkg.`, which was
 * for tests in dist-git repositories: a deployment lists its dist-git URL prefix under `pkg`
 * (a discovered check's origin is its `git_repo`, check-source.ts).
 */
export function namespacePolicy(
  env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>,
): NamespacePolicy {
  const { namespaces_safe, namespaces_whitelist } = env.section;
  const whitelist = namespaces_whitelist ?? { dist: [env.section.tasks_dir], pkg: [] };
  return {
    safe: namespaces_safe,
    whitelist: Object.fromEntries(
      Object.entries(whitelist).map(([ns, origins]) => [
        ns,
        origins.map((o) => (isUrl(o) ? o : checkOrigin(env.resolvePath(o)))),
      ]),
    ),
  };
}

/**
 * Why a result named `checkname` from a check at `origin` may not be reported, or null when it
 * may (pure). The messages are libtaskotron's, with what to change.
 */
export function namespaceRefusal(
  checkname: string,
  origin: string,
  policy: NamespacePolicy,
): string | null {
  const dot = checkname.indexOf('.');
  const ns = dot > 0 ? checkname.slice(0, dot) : null;
  if (ns !== null && policy.safe.includes(ns)) return null;
  const origins = ns !== null && Object.hasOwn(policy.whitelist, ns) ? policy.whitelist[ns] : null;
  if (!origins) {
    const known = [...policy.safe, ...Object.keys(policy.whitelist)].map((n) => `${n}.`);
    return `No namespace for task ${checkname} exists: a checkname starts with one of ${known.join(', ')}`;
  }
  if (origins.some((o) => origin.startsWith(o))) return null;
  return `This repo is not allowed to post results into ${ns} namespace: ${origin} is not in taskotron.namespaces_whitelist.${ns}`;
}

/** `sink`, refusing (as ResultsDB refuses a bad result) what the policy does not let `origin` report. */
export function namespacedSink(
  sink: ResultsSink,
  origin: string,
  policy: NamespacePolicy,
): ResultsSink {
  return {
    name: sink.name,
    async submit(body, signal) {
      const refusal = namespaceRefusal(body.testcase.name, origin, policy);
      return refusal === null ? sink.submit(body, signal) : { ok: false, message: refusal };
    },
  };
}
