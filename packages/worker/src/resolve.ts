import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Config } from '@loopabull/core';
// The topic rule alone: `loopabull resolve` loads this module without the engine.
import { topicProblem } from '@loopabull/core/topic';
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
  tried: readonly string[];
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

/**
 * Whether a file under the playbooks directory (`/`-separated, relative) is one a topic can
 * run: an automation's extension, a reachable name, and, with rkname (a topic is one file
 * name), directly in the directory. What `loopabull doctor` counts, so that a linked
 * `node_modules` or a `_lib/` of helpers is not reported as thousands of automations.
 */
export function isAutomationFile(relative: string, translator: Translator): boolean {
  const ext = AUTOMATION_EXTENSIONS.find((e) => relative.endsWith(e));
  if (!ext) return false;
  if (translator === 'rkname' && relative.includes('/')) return false;
  return unreachableBecause(relative.slice(0, -ext.length)) === null;
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

/** A candidate placed under the playbooks directory, with what finding it answers. */
interface Placed {
  file: string;
  dir: string;
  /** Why it may not be looked at (a path outside the directory), or null. */
  refused: string | null;
  /** The resolution when this is the first candidate that exists. */
  resolution: Resolution;
}

interface PlacedPlan {
  /** The playbooks directory, absolute. */
  root: string;
  placed: Placed[];
  /** The resolution when none exists. */
  none: Resolution;
}

/**
 * The plans made for each config's topics, placed under its playbooks directory, since where a
 * topic's automation may be depends on nothing else: a job then only looks at the file system.
 * Busy topics are few, but topics come from the bus: the cache is emptied when full. The
 * resolutions it hands out are shared, and read only.
 */
const plans = new WeakMap<Config, Map<string, PlacedPlan>>();
const PLANS_MAX = 10_000;

function placedFor(config: Config, topic: string): PlacedPlan {
  let known = plans.get(config);
  if (!known || known.size >= PLANS_MAX) plans.set(config, (known = new Map()));
  let made = known.get(topic);
  if (!made) {
    made = place(
      topic,
      resolve(config.ansible.playbooks_dir),
      plan(topic, config.plugins.translator.name, config.topics.fold_prefixes),
    );
    known.set(topic, made);
  }
  return made;
}

function place(topic: string, root: string, { candidates, skipped }: Plan): PlacedPlan {
  const tried = candidates.map((c) => c.relative);
  const placed = candidates.map((candidate, i): Placed => {
    const file = resolve(root, candidate.relative);
    return {
      file,
      dir: dirname(file),
      refused: file.startsWith(root + sep)
        ? null
        : `refusing ${candidate.relative}: outside ${root}`,
      resolution: { topic, found: { file, ...candidate }, tried: tried.slice(0, i + 1), skipped },
    };
  });
  return { root, placed, none: { topic, found: null, tried, skipped } };
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
export function resolveAutomation(
  config: Config,
  topic: string,
  /** The time to judge whether a directory is settled by (epoch ms); tests move it. */
  now = Date.now(),
): Resolution {
  const problem = topicProblem(topic);
  if (problem !== null) throw new Error(`refusing to resolve: ${problem}`);
  const { root, placed, none } = placedFor(config, topic);
  let dir: string | null = null;
  let state: DirectoryState = null;
  for (const candidate of placed) {
    if (candidate.refused !== null) throw new Error(candidate.refused);
    // A topic's candidates are in one directory, or few in turn.
    if (candidate.dir !== dir) state = directoryState((dir = candidate.dir), now);
    if (existsAsFile(candidate.file, state)) return candidate.resolution;
  }
  // Without its directory, every topic would end unrouted and its message be lost for good: a
  // mount that dropped or a checkout not yet made is a failure, retried until it is back.
  const missing = playbooksDirMissing(root);
  if (missing) throw missing;
  return none;
}

/** The playbooks directory is gone: no topic can be resolved, none is unrouted. */
export class PlaybooksDirMissing extends Error {
  override name = 'PlaybooksDirMissing';
}

/** The error for a playbooks directory (absolute) that is not there now, or null. */
export function playbooksDirMissing(root: string): PlaybooksDirMissing | null {
  return statThisTurn(root)?.isDirectory()
    ? null
    : new PlaybooksDirMissing(
        `the playbooks directory ${root} does not exist or is not a directory (ansible.playbooks_dir)`,
      );
}

/** What was found in a directory, valid while its change time stays what it was. */
interface Listing {
  ctimeNs: bigint;
  /** When a second has passed since that change time (epoch ms). */
  settledAt: number;
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
  let listing = listings.get(dir);
  if (listing?.ctimeNs !== ctimeNs || listing.files.size >= LISTING_MAX) {
    // Rounded up, so that it is settled exactly when a second has passed in nanoseconds.
    const settledAt = Number((ctimeNs + RECENT_NS + 999_999n) / 1_000_000n);
    listing = { ctimeNs, settledAt, files: new Map() };
    listings.set(dir, listing);
  }
  return now < listing.settledAt ? null : listing;
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
