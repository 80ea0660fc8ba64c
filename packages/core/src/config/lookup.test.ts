/**
 * Where the configuration is looked for (docs/configuration.md): `--config`, `$LOOPABULL_CONFIG`,
 * `./loopabull.yml`, then the system file. The system file is pointed into a temporary directory
 * (`systemPath`), so that the test neither writes to /etc nor depends on what is there.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig, locateConfig, SYSTEM_CONFIG, type LoadConfigOptions } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'loopabull-lookup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let made = 0;
/** A working directory, and config files that each name their own queue. */
function place(files: { cwd?: boolean; env?: boolean; flag?: boolean; system?: boolean }) {
  const dir = join(root, String(made++));
  const cwd = join(dir, 'cwd');
  mkdirSync(cwd, { recursive: true });
  const write = (path: string, name: string) => {
    writeFileSync(path, `queue:\n  name: from-${name}\n`);
    return path;
  };
  const opts: LoadConfigOptions = {
    cwd,
    env: {},
    systemPath: files.system
      ? write(join(dir, 'system.yml'), 'system')
      : join(dir, 'no-system.yml'),
  };
  if (files.cwd) write(join(cwd, 'loopabull.yml'), 'cwd');
  if (files.env) opts.env = { LOOPABULL_CONFIG: write(join(dir, 'env.yml'), 'env') };
  if (files.flag) opts.path = write(join(dir, 'flag.yml'), 'flag');
  return opts;
}

const queueName = (opts: LoadConfigOptions) => loadConfig(opts).queue.name;

describe('the configuration file looked for', () => {
  it('is /etc/loopabull/loopabull.yml system-wide', () => {
    expect(SYSTEM_CONFIG).toBe('/etc/loopabull/loopabull.yml');
  });

  it('--config comes first', () => {
    expect(queueName(place({ flag: true, env: true, cwd: true, system: true }))).toBe('from-flag');
  });

  it('then $LOOPABULL_CONFIG', () => {
    expect(queueName(place({ env: true, cwd: true, system: true }))).toBe('from-env');
  });

  it('then ./loopabull.yml in the working directory', () => {
    const opts = place({ cwd: true, system: true });
    expect(queueName(opts)).toBe('from-cwd');
    expect(locateConfig(opts)).toBe(join(opts.cwd!, 'loopabull.yml'));
  });

  it('then the system file', () => {
    const opts = place({ system: true });
    expect(locateConfig(opts)).toBe(opts.systemPath);
    expect(queueName(opts)).toBe('from-system');
  });

  it('and with none of them, the built-in defaults, relative to the working directory', () => {
    const opts = place({});
    expect(locateConfig(opts)).toBeNull();
    const config = loadConfig(opts);
    expect(config.source).toBeNull();
    expect(config.queue.name).toBe('loopabull');
    expect(config.ansible.playbooks_dir).toBe(join(opts.cwd!, 'playbooks'));
  });

  it('refuses an empty --config, as a unit whose environment file lacks CONFIG_FILE passes it', () => {
    const opts = place({ env: true, cwd: true, system: true });
    expect(() => loadConfig({ ...opts, path: '' })).toThrow(
      /--config names no file \(an empty path\).*check CONFIG_FILE in its environment file \(\/etc\/sysconfig\/loopabull\)/,
    );
  });

  it('resolves a relative $LOOPABULL_CONFIG against the working directory, and it must exist', () => {
    const opts = place({ cwd: true });
    writeFileSync(join(opts.cwd!, 'other.yml'), 'queue:\n  name: from-relative\n');
    expect(queueName({ ...opts, env: { LOOPABULL_CONFIG: 'other.yml' } })).toBe('from-relative');
    expect(() => loadConfig({ ...opts, env: { LOOPABULL_CONFIG: 'gone.yml' } })).toThrow(
      `config file ${join(opts.cwd!, 'gone.yml')} does not exist ($LOOPABULL_CONFIG names it: correct it, or unset it`,
    );
  });
});
