import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { AutomationSection, Config } from './config/schema.js';
import type { BatchHandler, Handler } from './handler.js';
import type { Logger } from './logger.js';

export type { AutomationSection };

/** What an automation is given when a process starts it, or when `doctor` checks it. */
export interface AutomationEnv<S extends AutomationSection = AutomationSection> {
  /** The whole configuration, for the engine's settings (Redis, bus, database). */
  config: Config;
  /** This automation's own section, validated by its `section` schema. */
  section: S;
  logger: Logger;
  /** A path from the config file made absolute: relative to the file, or to the working directory. */
  resolvePath(path: string): string;
}

/**
 * One line of `loopabull doctor`: the probe resolves with what it found or throws what is wrong;
 * an error with a `fix` property replaces the check's own `fix` for that problem.
 */
export interface DoctorCheck {
  name: string;
  /** What to do about it when the probe fails. */
  fix: string;
  probe(): Promise<string>;
}

/** What `loopabull <command>` subcommands are given to load the configuration the CLI's way. */
export interface CommandEnv {
  /** Loads the configuration with every registered automation's section, as every command does. */
  loadConfig(opts: { config?: string | undefined }): Config;
}

/**
 * What a started automation offers one process. The server adds `routes` to this interface
 * (declaration merging), so core stays free of HTTP.
 */
export interface AutomationInstance {
  /** Reachable from handler files as `ctx.automation(name, key)`; `default` when no key is given. */
  handlers?: Readonly<Record<string, Handler>>;
  /** Reachable from batch handler files as `ctx.automationBatch(name, key)`. */
  batchHandlers?: Readonly<Record<string, BatchHandler>>;
  /** Closes what `start` opened (database pools, timers). */
  stop?(): Promise<void>;
}

/**
 * A topic an automation takes through a handler file that ships in the source tree's
 * `playbooks/` (`<topic>.mjs`, one line handing the event to it). Workers find it only in
 * `ansible.playbooks_dir`: without it there, the topic's jobs end unrouted.
 */
export interface AutomationTopic {
  topic: string;
  /**
   * Queued by the automation itself, not delivered by the bus (taskotron's tag fuse): needed
   * whenever one of its bus topics is delivered.
   */
  internal?: boolean;
}

/** The source tree's `playbooks/`: the handler files of the shipped automations (`topics`). */
export const SHIPPED_PLAYBOOKS_DIR = fileURLToPath(new URL('../../../playbooks/', import.meta.url));

/**
 * A shipped automation: one package owns its config section, handlers, routes, commands and
 * doctor checks, and one registry (the CLI's) lists it. Core knows none by name.
 */
export interface Automation<S extends AutomationSection = AutomationSection> {
  /** Its config section's key and the name handlers use in `ctx.automation(name)`. */
  readonly name: string;
  /** One line for `--help`, `doctor` and the docs. */
  readonly description: string;
  /** Its config section: strict, with a default for every key, so `{}` is valid. */
  readonly section: z.ZodType<S>;
  /** The topics its shipped handler files run (`loopabull doctor` checks they are in place). */
  readonly topics?: readonly AutomationTopic[];
  /** `loopabull` subcommands. A disabled automation adds none. */
  commands?(env: CommandEnv): Promise<Command[]> | Command[];
  /** Extra `loopabull doctor` checks, when enabled. */
  doctor?(env: AutomationEnv<S>): Promise<DoctorCheck[]> | DoctorCheck[];
  /** Called once per process that uses it (worker, server, `loopabull run`), only when enabled. */
  start?(env: AutomationEnv<S>): Promise<AutomationInstance> | AutomationInstance;
}

/**
 * Lets a registry hold automations of different section types: the section is only ever handed
 * back to the automation that parsed it.
 */
export const registered = <S extends AutomationSection>(a: Automation<S>): Automation =>
  a as unknown as Automation;

/**
 * What an automation does, beside its name and section: its checks and start, and its commands
 * when it does not declare them apart (`lazyAutomation`).
 */
export type AutomationParts<S extends AutomationSection> = Pick<
  Automation<S>,
  'commands' | 'doctor' | 'start'
>;

/**
 * An automation that is only its name and section until a process uses it: `parts` imports the
 * rest (its handlers, routes, and what they need: database drivers, the HTTP framework) the
 * first time one of them is asked for. The config is validated with every automation's section,
 * but a process that runs none of them (the looper) loads none of their code, and a worker loads
 * only the automations enabled in its config. `about.commands`, when given, is used instead of
 * the parts' commands: it imports the commands' definitions alone, whose actions import what they
 * run, so that `loopabull --help` loads none of the parts (docs/benchmarks.md, "CLI start-up").
 */
export function lazyAutomation<S extends AutomationSection>(
  about: Pick<Automation<S>, 'name' | 'description' | 'section' | 'topics' | 'commands'>,
  parts: () => Promise<AutomationParts<S>>,
): Automation {
  return registered<S>({
    ...about,
    commands: about.commands ?? (async (env) => (await parts()).commands?.(env) ?? []),
    doctor: async (env) => (await parts()).doctor?.(env) ?? [],
    start: async (env) => (await parts()).start?.(env) ?? {},
  });
}
