import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, testConfig, localPlaybook, writeAutomation } from '@test/support';
import { makeEvent } from '../test/harness.js';
import { runOnce } from './run-once.js';
import { dryRun } from './run-plan.js';

afterAll(() => removeTempDirs());

function setup() {
  const config = testConfig();
  mkdirSync(config.ansible.playbooks_dir, { recursive: true });
  return config;
}

describe('runOnce (loopabull run)', () => {
  it('a dry run resolves and renders the vars without running anything', async () => {
    const config = setup();
    const marker = join(config.dir, 'ran');
    writeAutomation(
      config.ansible.playbooks_dir,
      'dry.topic.yml',
      localPlaybook([{ 'ansible.builtin.file': { path: marker, state: 'touch' } }]),
    );
    const event = makeEvent('dry.topic', { x: "{{ lookup('pipe','id') }}" });
    const out = dryRun(config, event);
    expect(out.result).toBeNull();
    expect(out.resolution.found).toMatchObject({ relative: 'dry.topic.yml', kind: 'playbook' });
    expect(out.vars).toContain(`msg:\n  !unsafe "x": !unsafe "{{ lookup('pipe','id') }}"\n`);
    expect(out.vars).toContain('  attempt: 1\n');
    expect(existsSync(marker)).toBe(false);
  });

  it('runs a playbook in the foreground, printing its output', async () => {
    const config = setup();
    const dest = join(config.dir, 'out.json');
    writeAutomation(
      config.ansible.playbooks_dir,
      'fg.topic.yml',
      localPlaybook([{ 'ansible.builtin.copy': { content: '{{ msg | to_json }}', dest } }]),
    );
    const lines: string[] = [];
    const out = await runOnce(config, makeEvent('fg.topic', { n: 1 }), {
      log: (l) => lines.push(l),
    });
    expect(out.result).toEqual({
      outcome: 'ran',
      file: 'fg.topic.yml',
      kind: 'playbook',
      exit_code: 0,
    });
    expect(JSON.parse(readFileSync(dest, 'utf8'))).toEqual({ n: 1 });
    expect(lines.join('\n')).toMatch(/TASK \[ansible\.builtin\.copy\][\s\S]*PLAY RECAP/);
  });

  it('throws with the exit code when the playbook fails, and says when nothing matches', async () => {
    const config = setup();
    writeAutomation(
      config.ansible.playbooks_dir,
      'bad.topic.yml',
      localPlaybook([{ 'ansible.builtin.fail': { msg: 'nope' } }]),
    );
    await expect(runOnce(config, makeEvent('bad.topic'))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^ansible-playbook exited 2 \(playbook bad\.topic\.yml\)/),
    });
    const none = await runOnce(config, makeEvent('other.topic'));
    expect(none.result).toEqual({ outcome: 'unrouted' });
    expect(none.resolution.tried).toHaveLength(5);
  });

  it('says so when the playbook command cannot start', async () => {
    const config = { ...setup() };
    config.ansible = { ...config.ansible, playbook_cmd: '/nonexistent/ansible-playbook' };
    writeAutomation(config.ansible.playbooks_dir, 'x.yml', localPlaybook([]));
    await expect(runOnce(config, makeEvent('x'))).rejects.toThrow(
      /^could not start \/nonexistent\/ansible-playbook \(playbook x\.yml\): .*ENOENT/,
    );
  });

  it('runs a handler with the given automations', async () => {
    const config = setup();
    writeAutomation(
      config.ansible.playbooks_dir,
      'h.topic.mjs',
      "export default async (e, ctx) => { await ctx.log('from handler'); return ctx.automation('twice')(e, ctx); };\n",
    );
    const lines: string[] = [];
    const out = await runOnce(config, makeEvent('h.topic', 21), {
      log: (l) => lines.push(l),
      automation: (name) => {
        expect(name).toBe('twice');
        return (e) => (e.body as number) * 2;
      },
    });
    expect(out).toMatchObject({
      vars: null,
      result: { outcome: 'ran', kind: 'handler', value: 42 },
    });
    expect(lines).toEqual(['from handler']);
  });

  it('starts the automations before a handler runs, and for nothing else: a playbook, a dry run, no automation', async () => {
    const config = setup();
    writeAutomation(config.ansible.playbooks_dir, 'pb.topic.yml', localPlaybook([]));
    writeAutomation(
      config.ansible.playbooks_dir,
      'uses.topic.mjs',
      "export default (e, ctx) => ctx.automation('ready')(e, ctx);\n",
    );
    let started = 0;
    const opts = {
      startAutomations: async () => void started++,
      automation: () => () => `ready after ${started} start`,
    };
    await runOnce(config, makeEvent('pb.topic'), opts);
    dryRun(config, makeEvent('uses.topic'));
    await runOnce(config, makeEvent('no.topic'), opts);
    expect(started).toBe(0);
    const out = await runOnce(config, makeEvent('uses.topic'), opts);
    expect(out.result).toMatchObject({ outcome: 'ran', value: 'ready after 1 start' });
  });
});
