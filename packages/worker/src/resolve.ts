import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { topicProblem, type Config } from '@loopabull/core';
import { statThisTurn } from './stat-this-turn.js';

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
  /** Names the topic would give that are never looked at, each with the reason. */
  skipped: readonly string[];
}

export function kindOf(file: string): AutomationKind {
  return file.endsWith('.yml') || file.endsWith('.yaml') ? 'playbook' : 'handler';
}

/**
 * Why a path under the playbooks directory (`/`-separated, without its extension) is never an
 * automation, or null when it may be one.
 * The directory holds more than automations: installed packages (`node_modules`), hidden files
 * and folders (`.git`, editors' swap files) and, by convention, private helpers (`_lib/`). None
 * of them may be run by naming it in a topic.
 */
export function unreachableBecause(relative: string): string | null {
  const segments = relative.split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') return 'an empty segment';
    if (segment.startsWith('.')) return `hidden segment ${segment}`;
    if (segment.startsWith('_')) return `private segment ${segment}`;
    // Case-insensitive for file systems that are; a file named `node_modules.js` is no package.
    if (i < segments.length - 1 && segment.toLowerCase() === 'node_modules')
      return 'folder node_modules';
  }
  return null;
}

interface Plan {
  candidates: Candidate[];
  skipped: string[];
}

function namesFor(topic: string, translator: Translator, because: string, plan: Plan): void {
  const stem = translator === 'rkdirectory' ? topic.split('.').join('/') : topic;
  // The stem alone: with rkdirectory, `a.b.` would otherwise pass as the hidden file `a/b/.yml`.
  const why = unreachableBecause(stem);
  if (why !== null) {
    plan.skipped.push(`${stem}.* (${why})`);
    return;
  }
  for (const ext of AUTOMATION_EXTENSIONS) {
    plan.candidates.push({
      relative: stem + ext,
      kind: kindOf(ext),
      why: `${because} (${translator})`,
    });
  }
}

/**
 * The topic itself, then the topic with each matching fold prefix removed. A fold that leaves no
 * usable topic is left out.
 */
function plan(topic: string, translator: Translator, foldPrefixes: readonly string[]): Plan {
  const out: Plan = { candidates: [], skipped: [] };
  namesFor(topic, translator, `named after topic ${topic}`, out);
  const seen = new Set([topic]);
  for (const prefix of foldPrefixes) {
    if (!topic.startsWith(prefix)) continue;
    const folded = topic.slice(prefix.length);
    if (seen.has(folded) || topicProblem(folded) !== null) continue;
    seen.add(folded);
    namesFor(
      folded,
      translator,
      `named after ${folded}, topic ${topic} with prefix ${prefix} folded`,
      out,
    );
  }
  return out;
}

/**
 * The plans made for each config's topics, since the names a topic may have depend on nothing
 * else. Busy topics are few, but topics come from the bus: the cache is emptied when full.
 */
const plans = new WeakMap<Config, Map<string, Plan>>();
const PLANS_MAX = 10_000;

function plannedFor(config: Config, topic: string): Plan {
  let known = plans.get(config);
  if (!known || known.size >= PLANS_MAX) plans.set(config, (known = new Map()));
  let made = known.get(topic);
  if (!made) {
    made = plan(topic, config.plugins.translator.name, config.topics.fold_prefixes);
    known.set(topic, made);
  }
  return made;
}

/** Where the automation for a topic may be, in the order they are tried. */
export function candidatePaths(
  topic: string,
  translator: Translator,
  foldPrefixes: readonly string[],
): Candidate[] {
  return plan(topic, translator, foldPrefixes).candidates;
}

/**
 * Finds the automation for a topic now, on disk, so a file dropped in a moment ago is used.
 * The topic is checked again here although the looper already did: it is about to become a path.
 */
export async function resolveAutomation(
  config: Config,
  topic: string,
  /** The time to judge whether a directory is settled by (epoch ms); tests move it. */
  now = Date.now(),
): Promise<Resolution> {
  const problem = topicProblem(topic);
  if (problem !== null) throw new Error(`refusing to resolve: ${problem}`);
  const root = resolve(config.ansible.playbooks_dir);
  const tried: string[] = [];
  const { candidates, skipped } = plannedFor(config, topic);
  const directories = new Map<string, DirectoryState>();
  for (const candidate of candidates) {
    const file = resolve(root, candidate.relative);
    if (!file.startsWith(root + sep))
      throw new Error(`refusing ${candidate.relative}: outside ${root}`);
    tried.push(candidate.relative);
    const dir = dirname(file);
    let state = directories.get(dir);
    if (!state) directories.set(dir, (state = directoryState(dir, now)));
    if (existsAsFile(file, state)) return { topic, found: { file, ...candidate }, tried, skipped };
  }
  return { topic, found: null, tried, skipped };
}

/** What was found in a directory, valid while its change time stays what it was. */
interface Listing {
  ctimeNs: bigint;
  files: Map<string, boolean>;
}

/** A directory as it is now: its listing to reuse, or null when none may be trusted. */
type DirectoryState = Listing | null;

/**
 * Most names looked up do not exist, for every job: what was found is kept per directory and
 * trusted while the directory's change time is unchanged (adding, removing or renaming a file in
 * it changes that time), so a resolution costs one `stat` of the directory instead of one per
 * candidate. The change time, not the modification time: deployment tools (rsync -a, cp -p,
 * touch -d) set a directory's mtime back to an earlier value, never its ctime. A directory changed
 * within the last second is not trusted: a second change within the file system's timestamp
 * granularity would leave the time as it was.
 */
const listings = new Map<string, Listing>();
/** Names kept per directory at most: topics come from the bus, and may all differ. */
const LISTING_MAX = 10_000;
const RECENT_NS = 1_000_000_000n;

function directoryState(dir: string, now: number): DirectoryState {
  let ctimeNs: bigint;
  try {
    const stat = statThisTurn(dir);
    if (!stat?.isDirectory()) return null;
    ctimeNs = stat.ctimeNs;
  } catch {
    return null;
  }
  if (BigInt(now) * 1_000_000n - ctimeNs < RECENT_NS) return null;
  let listing = listings.get(dir);
  if (listing?.ctimeNs !== ctimeNs || listing.files.size >= LISTING_MAX) {
    listing = { ctimeNs, files: new Map() };
    listings.set(dir, listing);
  }
  return listing;
}

function existsAsFile(path: string, state: DirectoryState): boolean {
  if (!state) return isFile(path);
  let known = state.files.get(path);
  if (known === undefined) {
    known = isFile(path);
    state.files.set(path, known);
  }
  return known;
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
    // A name longer than the file system allows (a 252-character topic plus `.yaml`) cannot
    // exist: no automation, not an error to retry.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'ENAMETOOLONG') return false;
    throw err;
  }
}
