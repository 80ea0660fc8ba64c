/**
 * What docs/operating.md tells an operator to install is what the repository ships, and the
 * pieces fit: the environment file names the config the template is installed as, the template
 * loads with the real loader and writes only where the units may, and `doctor` runs as the units
 * run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { loadConfig, parseDatabaseUrl, SYSTEM_CONFIG } from '@loopabull/core';
import { shippedAutomations } from '@loopabull/cli';
import { artifactsUrl, type TaskotronSection } from '@loopabull/taskotron';
import { SYSTEMD, serviceSection, unitValue } from './support/index.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/operating.md'), 'utf8');
const UNITS = ['loopabull.service', 'loopabull-web.service', 'loopabull@.service'];
const TEMPLATE = join(SYSTEMD, 'loopabull.yml');

/** The shell commands of a text's ```sh blocks: continued lines joined, comments dropped. */
function shellCommands(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.replace(/\\\n\s*/g, ' ').split('\n'))
    .flatMap((line) => line.replace(/(^|\s)#.*$/, '').split(/\s+&&\s+/))
    .map((command) => command.trim())
    .filter(Boolean);
}

/** A section of the doc: from its heading to the next one. */
function section(heading: string): string {
  const start = DOC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/operating.md has no ${heading}`);
  const rest = DOC.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

const INSTALL = shellCommands(section('## Installing with systemd'));

/** The install step's copies: `install [-m M] [-o O] [-g G] SOURCE… DEST` (not `install -d`). */
const copies = INSTALL.filter((c) => /^install\s/.test(c) && !/\s-d\s/.test(c)).map((command) => {
  const words = command.split(/\s+/).slice(1);
  const operands = words.filter((w, i) => !w.startsWith('-') && !/^-[mog]$/.test(words[i - 1]!));
  return { command, sources: operands.slice(0, -1), dest: operands.at(-1)! };
});

/** A source of the install step as files of the repository (`systemd/*.service` is several). */
function shipped(source: string): string[] {
  if (!source.includes('*'))
    return statSync(join(ROOT, source), { throwIfNoEntry: false }) ? [source] : [];
  const pattern = new RegExp(`^${basename(source).replaceAll('.', '\\.').replaceAll('*', '.*')}$`);
  return readdirSync(join(ROOT, dirname(source)))
    .filter((f) => pattern.test(f))
    .map((f) => join(dirname(source), f));
}

/** Where the install step puts a file of the repository. */
function installedAs(source: string): string {
  const copy = copies.find((c) => c.sources.includes(source));
  if (!copy) throw new Error(`the install step does not install ${source}`);
  return copy.dest.endsWith('/') ? join(copy.dest, basename(source)) : copy.dest;
}

/** KEY=value lines of systemd/loopabull.env. */
const environmentFile = new Map(
  readFileSync(join(SYSTEMD, 'loopabull.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** A setting all three units share, which the install and the runbook rely on. */
function sharedSetting(key: string): string {
  const values = new Set(UNITS.map((u) => unitValue(serviceSection(u), key)));
  expect([key, values.size]).toEqual([key, 1]);
  return [...values][0]!;
}

describe('the install step in docs/operating.md', () => {
  it('copies only files the repository ships', () => {
    expect(copies.length).toBeGreaterThan(0);
    for (const { command, sources } of copies)
      for (const source of sources)
        expect({ command, source, files: shipped(source).length > 0 }).toEqual({
          command,
          source,
          files: true,
        });
  });

  it('installs the config template as the file CONFIG_FILE names, and the environment file where the units read it', () => {
    expect(environmentFile.get('CONFIG_FILE')).toBe(SYSTEM_CONFIG);
    expect(installedAs('systemd/loopabull.yml')).toBe(SYSTEM_CONFIG);
    expect(`-${installedAs('systemd/loopabull.env')}`).toBe(sharedSetting('EnvironmentFile'));
  });

  it('names the config file without the environment file too: the standard path, which the file may change', () => {
    expect(sharedSetting('Environment')).toBe(`CONFIG_FILE=${SYSTEM_CONFIG}`);
    expect(environmentFile.get('CONFIG_FILE')).toBe(SYSTEM_CONFIG);
  });

  it('links /usr/bin/loopabull to an executable with a node shebang, which the web unit runs', () => {
    const target = /ln -s \/opt\/loopabull\/(\S+) \/usr\/bin\/loopabull/.exec(DOC)![1]!;
    const file = join(ROOT, target);
    expect(statSync(file).mode & 0o111).toBe(0o111);
    expect(readFileSync(file, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
    expect(unitValue(serviceSection('loopabull-web.service'), 'ExecStart')).toMatch(
      /^\/usr\/bin\/loopabull serve /,
    );
  });
});

describe('loopabull doctor in docs/operating.md', () => {
  const doctors = shellCommands(DOC).filter((c) => /\bloopabull doctor\b/.test(c));

  it('runs as the units run: their user and group, their environment file, their config', () => {
    // As root without the environment file, doctor would check other URLs than the units use,
    // and create a SQLite database that the units could not write.
    expect(doctors.length).toBeGreaterThan(1); // the install step's and the runbook's
    const user = sharedSetting('User');
    const group = sharedSetting('Group');
    const environment = sharedSetting('EnvironmentFile').replace(/^-/, '');
    for (const unit of UNITS)
      expect(unitValue(serviceSection(unit), 'ExecStart')).toMatch(
        /\/usr\/bin\/loopabull .*--config \$\{CONFIG_FILE\}$/,
      );
    for (const command of doctors) {
      expect(command).toMatch(/^systemd-run .*--wait/);
      expect(command).toContain(` --uid=${user} --gid=${group} `);
      expect(command).toContain(` -p EnvironmentFile=${environment} `);
      // Quoted for the shell: systemd expands it from the environment file, as in ExecStart.
      expect(command).toMatch(/ \/usr\/bin\/loopabull doctor --config '\$\{CONFIG_FILE\}'$/);
    }
  });
});

describe('systemd/loopabull.yml, the production template', () => {
  // Loaded in each test, so that a template that does not load fails them, not the whole file.
  const template = () => loadConfig({ path: TEMPLATE, env: {}, automations: shippedAutomations });

  it('loads with the real loader, with a section for each shipped automation to turn off', () => {
    const config = template();
    const raw = yaml.load(readFileSync(TEMPLATE, 'utf8')) as Record<string, unknown>;
    expect(config.source).toBe(TEMPLATE);
    for (const { name } of shippedAutomations)
      expect([name, raw[name]]).toEqual([name, expect.objectContaining({ enabled: true })]);
  });

  it('writes only under the units’ state directory: the database and the artifacts', () => {
    const config = template();
    for (const unit of ['loopabull-web.service', 'loopabull@.service']) {
      const state = `/var/lib/${unitValue(serviceSection(unit), 'StateDirectory')}/`;
      const database = parseDatabaseUrl(config.database.url, config.dir);
      expect(database).toEqual({ dialect: 'sqlite', path: expect.stringMatching(`^${state}`) });
      const taskotron = config.sections.taskotron as unknown as { artifacts_dir: string };
      expect(taskotron.artifacts_dir.startsWith(state)).toBe(true);
    }
  });

  it('gives running playbooks less time on stop than systemd waits for the worker', () => {
    const config = template();
    const stop = Number(unitValue(serviceSection('loopabull@.service'), 'TimeoutStopSec'));
    expect(config.workers.shutdown_grace).toBeLessThan(stop);
  });

  it('links the artifacts where the web server listens, also once its port is changed', () => {
    const config = template();
    const section = config.sections.taskotron as unknown as TaskotronSection;
    // Left to follow the http settings, not written out where a changed port would leave it behind.
    expect(section.artifacts_url).toBeNull();
    const port = config.http.port + 1;
    expect(artifactsUrl({ config: { http: { ...config.http, port } }, section })).toBe(
      `http://${config.http.host}:${port}/artifacts`,
    );
  });
});
