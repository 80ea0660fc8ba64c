import type {
  Automation,
  AutomationEnv,
  AutomationInstance,
  AutomationSection,
} from './automation.js';
import { resolveFrom } from './config/load.js';
import type { Config } from './config/schema.js';
import { ConfigError, PermanentError } from './errors.js';
import type { BatchHandler, Handler } from './handler.js';
import type { Logger } from './logger.js';

/** An automation's section, as the configuration was loaded with the automation registered. */
export function sectionOf<S extends AutomationSection>(config: Config, name: string): S {
  const section = config.sections[name];
  if (!section)
    throw new Error(`automation ${name} was not registered when the configuration was loaded`);
  return section as S;
}

export function enabledAutomations(config: Config, registry: readonly Automation[]): Automation[] {
  return registry.filter((a) => config.sections[a.name]?.enabled === true);
}

export function automationEnv<S extends AutomationSection>(
  config: Config,
  automation: Automation<S>,
  logger: Logger,
): AutomationEnv<S> {
  return {
    config,
    section: sectionOf<S>(config, automation.name),
    logger: logger.child({ automation: automation.name }),
    resolvePath: (path) => resolveFrom(config.dir, path),
  };
}

/**
 * The automations one process runs: starts the enabled ones, hands their handlers to
 * `ctx.automation(name)` and their routes to the server, and stops them in reverse order.
 */
export class AutomationHost {
  private readonly instances = new Map<string, AutomationInstance>();
  /** The last start(), which stop() lets finish: an automation's start cannot be cut short. */
  private starting: Promise<this> | null = null;

  constructor(
    private readonly config: Config,
    private readonly registry: readonly Automation[],
    private readonly logger: Logger,
  ) {}

  get enabled(): Automation[] {
    return enabledAutomations(this.config, this.registry);
  }

  /** The started automations with what each offers, in registry order. */
  get started(): Array<{ automation: Automation; instance: AutomationInstance }> {
    return this.enabled.flatMap((automation) => {
      const instance = this.instances.get(automation.name);
      return instance ? [{ automation, instance }] : [];
    });
  }

  start(): Promise<this> {
    this.starting = this.startEnabled();
    return this.starting;
  }

  private async startEnabled(): Promise<this> {
    for (const automation of this.enabled) {
      if (this.instances.has(automation.name)) continue;
      const env = automationEnv(this.config, automation, this.logger);
      try {
        this.instances.set(automation.name, (await automation.start?.(env)) ?? {});
      } catch (err) {
        await this.stopStarted();
        // A setting the automation could judge only when starting stays a configuration error:
        // exit 2, not 1.
        const Wrapped = err instanceof ConfigError ? ConfigError : Error;
        throw new Wrapped(
          `automation ${automation.name} failed to start: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    return this;
  }

  /**
   * `ctx.automation(name, key)`. A name that is unknown or disabled is a permanent failure:
   * retrying the job cannot make it appear.
   */
  handler(name: string, key = 'default'): Handler {
    return this.lookup(name, key, 'handlers', 'handler');
  }

  /** `ctx.automationBatch(name, key)`, as `handler` does for `ctx.automation`. */
  batchHandler(name: string, key = 'default'): BatchHandler {
    return this.lookup(name, key, 'batchHandlers', 'batch handler');
  }

  private lookup<K extends 'handlers' | 'batchHandlers'>(
    name: string,
    key: string,
    kind: K,
    what: string,
  ): NonNullable<AutomationInstance[K]>[string] {
    const automation = this.registry.find((a) => a.name === name);
    if (!automation) {
      const known = this.registry.map((a) => a.name).join(', ') || 'none';
      throw new PermanentError(`no automation named ${JSON.stringify(name)} (known: ${known})`);
    }
    const instance = this.instances.get(name);
    if (!instance) {
      if (this.config.sections[name]?.enabled !== true)
        throw new PermanentError(
          `automation ${name} is disabled (${name}.enabled in ${this.config.source ?? 'the built-in defaults'})`,
        );
      throw new Error(`automation ${name} has not been started in this process`);
    }
    const found = instance[kind]?.[key];
    if (!found) {
      const keys = Object.keys(instance[kind] ?? {}).join(', ') || 'none';
      throw new PermanentError(
        `automation ${name} has no ${what} ${JSON.stringify(key)} (it has: ${keys})`,
      );
    }
    return found as NonNullable<AutomationInstance[K]>[string];
  }

  /**
   * Stops every started automation, the last started first; a failure is logged, not thrown.
   * Called while they start (a worker stopped meanwhile), it stops them once they have.
   */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.stopStarted();
  }

  private async stopStarted(): Promise<void> {
    for (const [name, instance] of [...this.instances].reverse()) {
      this.instances.delete(name);
      try {
        await instance.stop?.();
      } catch (err) {
        this.logger.warn(`automation ${name} did not stop cleanly`, {
          error: (err as Error).message,
        });
      }
    }
  }
}
