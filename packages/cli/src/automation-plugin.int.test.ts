/**
 * The plug-in interface end to end: an automation that exists only in this test is registered
 * next to the shipped ones, and shows up everywhere an automation can (or nowhere, disabled).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { z } from 'zod';
import {
  AutomationHost,
  ConfigError,
  PermanentError,
  createLogger,
  lazyAutomation,
  registered,
  sectionOf,
  type Automation,
  type Config,
} from '@loopabull/core';
import { startServer } from '@loopabull/server';
import { runOnce } from '@loopabull/worker';
import {
  cleanUpTest,
  freePort,
  removeTempDirs,
  runProgram,
  testConfig,
  writeAutomation,
} from '@test/support';
import { shippedAutomations } from './automations.js';
import { createProgram } from './program.js';

const tinySection = z
  .object({ enabled: z.boolean().default(true), greeting: z.string().default('hello') })
  .strict();
type TinySection = z.output<typeof tinySection>;

const stopped: string[] = [];
const tiny: Automation = registered<TinySection>({
  name: 'tiny',
  description: 'a test automation',
  section: tinySection,
  commands: (env) => [
    new Command('tiny-greet')
      .description('print the greeting')
      .option('-c, --config <path>')
      .action((opts: { config?: string }) => {
        const config = env.loadConfig(opts);
        process.stdout.write(`${sectionOf<TinySection>(config, 'tiny').greeting}\n`);
      }),
  ],
  doctor: ({ section }) => [
    { name: 'tiny', fix: 'nothing to fix', probe: async () => `greets with ${section.greeting}` },
  ],
  start: ({ section }) => ({
    handlers: { default: (event) => `${section.greeting}, ${String(event.body)}` },
    routes: {
      name: 'tiny',
      register: (app) => {
        app.get('/tiny', async () => ({ greeting: section.greeting }));
      },
      dashboard: { title: 'Tiny page', path: '/tiny' },
    },
    stop: async () => {
      stopped.push(section.greeting);
    },
  }),
});

const registry = [...shippedAutomations, tiny];
const logger = createLogger('test', 'error');

/** Every config made here: `doctor` and the runs leave queue keys under its prefix. */
const made: Config[] = [];
const kept = (config: Config & { configPath: string }) => (made.push(config), config);

async function configWith(tinyConfig: Record<string, unknown>) {
  return kept(
    testConfig({
      automations: registry,
      overrides: { loglevel: 'error', tiny: tinyConfig, http: { port: await freePort() } },
    }),
  );
}

/** What a handler file that hands its event to `tiny` returns, run as `loopabull run` runs it. */
async function throughHandlerFile(config: Config): Promise<unknown> {
  writeAutomation(
    config.ansible.playbooks_dir,
    'tiny.topic.mjs',
    "export default (e, ctx) => ctx.automation('tiny')(e, ctx);\n",
  );
  const host = await new AutomationHost(config, registry, logger).start();
  try {
    const event = {
      id: randomUUID(),
      topic: 'tiny.topic',
      body: 'world',
      headers: {},
      exchange: '',
      routing_key: 'tiny.topic',
      sent_at: null,
      received_at: new Date().toISOString(),
    };
    const { result } = await runOnce(config, event, {
      automation: (name, key) => host.handler(name, key),
    });
    return result?.value;
  } finally {
    await host.stop();
  }
}

afterEach(() => {
  stopped.length = 0;
});
afterAll(async () => {
  for (const config of made) await cleanUpTest(config);
  removeTempDirs();
});

describe('an automation registered only in a test', () => {
  it('validates its config section with the rest of the file, naming the key', async () => {
    await expect(configWith({ greeting: 5 })).rejects.toThrow(/tiny\.greeting/);
    await expect(configWith({ greting: 'hi' })).rejects.toThrow(ConfigError);
    await expect(configWith({ greting: 'hi' })).rejects.toThrow(/unknown key tiny\.greting/);
  });

  it('keeps a ConfigError from its start a ConfigError (exit 2), naming the automation', async () => {
    const picky = registered({
      name: 'picky',
      description: 'refuses its setting when it starts',
      section: z.object({ enabled: z.boolean().default(true) }).strict(),
      start: () => {
        throw new ConfigError('picky.server: no such server');
      },
    });
    const config = kept(testConfig({ automations: [picky], overrides: { loglevel: 'error' } }));
    const started = new AutomationHost(config, [picky], logger).start();
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(
      'automation picky failed to start: picky.server: no such server',
    );
  });

  it('stopped while it starts, is stopped once started (a worker stopped while it starts)', async () => {
    let letStart!: () => void;
    const slow = registered({
      name: 'slow',
      description: 'starts when the test lets it',
      section: z.object({ enabled: z.boolean().default(true) }).strict(),
      start: async () => {
        await new Promise<void>((resolve) => (letStart = resolve));
        return { stop: async () => void stopped.push('slow') };
      },
    });
    const config = kept(testConfig({ automations: [slow], overrides: { loglevel: 'error' } }));
    const host = new AutomationHost(config, [slow], logger);
    const started = host.start();
    const stopping = host.stop();
    letStart();
    await stopping;
    expect(stopped).toEqual(['slow']);
    await expect(started).resolves.toBe(host);
  });

  describe('enabled', () => {
    it('adds its command to --help, and the command reads its section', async () => {
      const config = await configWith({ greeting: 'ahoy' });
      const argv = ['node', 'loopabull', '-c', config.configPath];
      const help = (await createProgram({ automations: registry, argv })).helpInformation();
      expect(help).toMatch(/tiny-greet\s+.*print the greeting/);
      expect((await runProgram(config, ['tiny-greet'], registry)).out).toBe('ahoy\n');
    });

    it('runs its doctor checks', async () => {
      const config = await configWith({ greeting: 'ahoy' });
      const { out } = await runProgram(config, ['doctor', '--json'], registry);
      const checks = JSON.parse(out) as Array<{ name: string; ok: boolean; detail: string }>;
      expect(checks).toContainEqual({ name: 'tiny', ok: true, detail: 'greets with ahoy' });
      expect(checks.find((c) => c.name === 'automations')?.detail).toBe(
        [...shippedAutomations.map((a) => a.name), 'tiny'].join(', '),
      );
    });

    it('mounts its routes and links its page from the dashboard, and is stopped with the server', async () => {
      const config = await configWith({ greeting: 'ahoy' });
      const host = await new AutomationHost(config, registry, logger).start();
      const server = await startServer(config, host);
      try {
        expect(await (await fetch(`${server.url}/tiny`)).json()).toEqual({ greeting: 'ahoy' });
        expect(await (await fetch(`${server.url}/`)).text()).toContain('href="/tiny"');
      } finally {
        await server.close();
        await host.stop();
      }
      expect(stopped).toEqual(['ahoy']);
    });

    it('offers its handler to ctx.automation', async () => {
      const config = await configWith({ greeting: 'ahoy' });
      expect(await throughHandlerFile(config)).toBe('ahoy, world');
    });
  });

  describe('disabled', () => {
    it('has no command in --help', async () => {
      const config = await configWith({ enabled: false });
      const argv = ['node', 'loopabull', '-c', config.configPath];
      expect(
        (await createProgram({ automations: registry, argv })).helpInformation(),
      ).not.toContain('tiny-greet');
    });

    it('names itself and its setting for its command, which a typo is not', async () => {
      const config = await configWith({ enabled: false });
      const program = (...args: string[]) =>
        createProgram({ automations: registry, argv: ['node', 'loopabull', ...args] });
      for (const args of [
        ['tiny-greet', '-c', config.configPath],
        ['tiny-greet', '--help', '-c', config.configPath],
        ['help', 'tiny-greet', '-c', config.configPath],
        ['-c', config.configPath, 'help', 'tiny-greet'],
      ]) {
        const refused = program(...args);
        await expect(refused).rejects.toBeInstanceOf(ConfigError);
        await expect(refused).rejects.toThrow(
          `\`tiny-greet\` is a command of the tiny automation, which is disabled in ${config.configPath}: set tiny.enabled: true there to use it (docs/configuration.md)`,
        );
      }
      const typo = await program('tiny-greeet', '-c', config.configPath);
      typo.exitOverride().configureOutput({ writeErr: () => undefined });
      await expect(
        typo.parseAsync(['node', 'loopabull', 'tiny-greeet', '-c', config.configPath]),
      ).rejects.toMatchObject({ code: 'commander.unknownCommand' });
      // `help` of a typo is Commander's: the program's help, as a usage error.
      const helpOfTypo = await program('help', 'tiny-greeet', '-c', config.configPath);
      helpOfTypo.exitOverride().configureOutput({ writeErr: () => undefined });
      await expect(
        helpOfTypo.parseAsync([
          'node',
          'loopabull',
          'help',
          'tiny-greeet',
          '-c',
          config.configPath,
        ]),
      ).rejects.toMatchObject({ code: 'commander.help', exitCode: 1 });
    });

    it('has no doctor check', async () => {
      const config = await configWith({ enabled: false });
      const { out } = await runProgram(config, ['doctor', '--json'], registry);
      const checks = JSON.parse(out) as Array<{ name: string; detail: string }>;
      expect(checks.map((c) => c.name)).not.toContain('tiny');
      expect(checks.find((c) => c.name === 'automations')?.detail).toBe(
        shippedAutomations.map((a) => a.name).join(', '),
      );
    });

    it('mounts no route and no dashboard link, and starts nothing', async () => {
      const config = await configWith({ enabled: false });
      const host = await new AutomationHost(config, registry, logger).start();
      const server = await startServer(config, host);
      try {
        expect((await fetch(`${server.url}/tiny`)).status).toBe(404);
        expect(await (await fetch(`${server.url}/`)).text()).not.toContain('href="/tiny"');
      } finally {
        await server.close();
        await host.stop();
      }
      expect(stopped).toEqual([]);
    });

    it('is refused by ctx.automation as a permanent failure naming the setting', async () => {
      const config = await configWith({ enabled: false });
      const host = new AutomationHost(config, registry, logger);
      expect(() => host.handler('tiny')).toThrow(PermanentError);
      expect(() => host.handler('tiny')).toThrow(/tiny is disabled \(tiny\.enabled in .*\.yml\)/);
      await expect(throughHandlerFile(config)).rejects.toThrow(/tiny is disabled/);
    });
  });
});

describe('an automation that is imported on first use (lazyAutomation)', () => {
  const imported: string[] = [];
  const lazy = lazyAutomation<TinySection>(
    { name: 'lazy', description: 'a test automation imported on first use', section: tinySection },
    async () => {
      imported.push('lazy');
      return {
        commands: () => [new Command('lazy-greet').description('print the greeting')],
        doctor: () => [{ name: 'lazy', fix: 'nothing to fix', probe: async () => 'here' }],
        start: ({ section }) => ({ handlers: { default: () => section.greeting } }),
      };
    },
  );
  const lazyConfig = (enabled: boolean) =>
    kept(testConfig({ automations: [lazy], overrides: { loglevel: 'error', lazy: { enabled } } }));
  const program = (config: { configPath: string }, ...args: string[]) =>
    createProgram({
      automations: [lazy],
      argv: ['node', 'loopabull', ...args, '-c', config.configPath],
    });

  beforeEach(() => {
    imported.length = 0;
  });

  it("validates its section but is not imported for the engine's own commands", async () => {
    expect(() =>
      testConfig({ automations: [lazy], overrides: { lazy: { greting: 'hi' } } }),
    ).toThrow(/unknown key lazy\.greting/);
    const config = lazyConfig(true);
    for (const command of ['looper', 'worker', 'serve', 'doctor'])
      expect((await program(config, command)).commands.map((c) => c.name())).not.toContain(
        'lazy-greet',
      );
    expect(imported).toEqual([]);
  });

  it('is imported, enabled, for its commands in --help, its doctor checks and its handlers', async () => {
    const config = lazyConfig(true);
    expect((await program(config)).helpInformation()).toMatch(/lazy-greet\s+print the greeting/);
    expect(imported).toHaveLength(1);
    const checks = await lazy.doctor!({
      config,
      section: sectionOf(config, 'lazy'),
      logger,
      resolvePath: (p) => p,
    });
    expect(checks.map((c) => c.name)).toEqual(['lazy']);
    const host = await new AutomationHost(config, [lazy], logger).start();
    expect(host.handler('lazy')).toBeInstanceOf(Function);
    await host.stop();
  });

  it('is never imported when disabled', async () => {
    const config = lazyConfig(false);
    expect((await program(config)).helpInformation()).not.toContain('lazy-greet');
    const { out } = await runProgram(config, ['doctor', '--json'], [lazy]);
    expect(JSON.parse(out)).not.toContainEqual(expect.objectContaining({ name: 'lazy' }));
    const host = await new AutomationHost(config, [lazy], logger).start();
    expect(host.started).toEqual([]);
    await host.stop();
    expect(imported).toEqual([]);
  });
});
