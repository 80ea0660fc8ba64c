import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { topicProblem, type Config } from '@loopabull/core';

export type Translator = Config['plugins']['translator']['name'];
export type AutomationKind = 'playbook' | 'handler';

/** In this order: the first that exists wins. */
export const AUTOMATION_EXTENSIONS = ['.yml', '.yaml', '.ts', '.js', '.mjs'] as const;

export interface Candidate {
  /** Relative to the playbooks directory, `/`-separated. */
  relative: string;
  kind: AutomationKind;
  why: string;
}

export interface Resolution {
  topic: string;
  found: { file: string; relative: string; kind: AutomationKind; why: string } | null;
  /** Every path looked at, relative to the playbooks directory, in order. */
  tried: string[];
}

export function kindOf(file: string): AutomationKind {
  return file.endsWith('.yml') || file.endsWith('.yaml') ? 'playbook' : 'handler';
}

function namesFor(topic: string, translator: Translator, because: string): Candidate[] {
  const stem = translator === 'rkdirectory' ? topic.split('.').join('/') : topic;
  return AUTOMATION_EXTENSIONS.map((ext) => ({
    relative: stem + ext,
    kind: kindOf(ext),
    why: `${because} (${translator})`,
  }));
}

/**
 * Where the automation for a topic may be, in the order they are tried: the topic itself, then
 * the topic with each matching fold prefix removed. A fold that leaves no usable topic is skipped.
 */
export function candidatePaths(
  topic: string,
  translator: Translator,
  foldPrefixes: readonly string[],
): Candidate[] {
  const out = namesFor(topic, translator, `named after topic ${topic}`);
  const seen = new Set([topic]);
  for (const prefix of foldPrefixes) {
    if (!topic.startsWith(prefix)) continue;
    const folded = topic.slice(prefix.length);
    if (seen.has(folded) || topicProblem(folded) !== null) continue;
    seen.add(folded);
    out.push(
      ...namesFor(
        folded,
        translator,
        `named after ${folded}, topic ${topic} with prefix ${prefix} folded`,
      ),
    );
  }
  return out;
}

/**
 * Finds the automation for a topic now, on disk, so a file dropped in a moment ago is used.
 * The topic is checked again here although the looper already did: it is about to become a path.
 */
export async function resolveAutomation(config: Config, topic: string): Promise<Resolution> {
  const problem = topicProblem(topic);
  if (problem !== null) throw new Error(`refusing to resolve: ${problem}`);
  const root = resolve(config.ansible.playbooks_dir);
  const tried: string[] = [];
  for (const candidate of candidatePaths(
    topic,
    config.plugins.translator.name,
    config.topics.fold_prefixes,
  )) {
    const file = resolve(root, candidate.relative);
    if (!file.startsWith(root + sep))
      throw new Error(`refusing ${candidate.relative}: outside ${root}`);
    tried.push(candidate.relative);
    if (isFile(file)) return { topic, found: { file, ...candidate }, tried };
  }
  return { topic, found: null, tried };
}

/**
 * Synchronous on purpose: most candidates do not exist, and a promise stat costs a thread-pool
 * round trip and an exception for each, some 75 µs a job against 3 µs for all of them here.
 * The price is that a playbooks directory on a network mount that hangs blocks the whole worker.
 */
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}
