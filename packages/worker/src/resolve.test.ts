import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, testConfig } from '../../../test/support/index.js';
import { candidatePaths, resolveAutomation } from './resolve.js';

afterAll(() => removeTempDirs());

const rel = (topic: string, translator: 'rkname' | 'rkdirectory', folds: string[] = []) =>
  candidatePaths(topic, translator, folds).map((c) => c.relative);

describe('candidatePaths', () => {
  it('rkname: the topic with each extension, playbooks first', () => {
    expect(candidatePaths('a.b.c', 'rkname', []).map((c) => [c.relative, c.kind])).toEqual([
      ['a.b.c.yml', 'playbook'],
      ['a.b.c.yaml', 'playbook'],
      ['a.b.c.ts', 'handler'],
      ['a.b.c.js', 'handler'],
      ['a.b.c.mjs', 'handler'],
    ]);
  });

  it('rkdirectory: dots become folders', () => {
    expect(rel('a.b.c', 'rkdirectory')).toEqual([
      'a/b/c.yml',
      'a/b/c.yaml',
      'a/b/c.ts',
      'a/b/c.js',
      'a/b/c.mjs',
    ]);
  });

  it('then the topic with each matching fold prefix removed, in order', () => {
    const folds = ['org.fedoraproject.prod.', 'org.fedoraproject.stg.', 'org.'];
    expect(rel('org.fedoraproject.prod.buildsys.tag', 'rkname', folds)).toEqual([
      ...rel('org.fedoraproject.prod.buildsys.tag', 'rkname'),
      ...rel('buildsys.tag', 'rkname'),
      ...rel('fedoraproject.prod.buildsys.tag', 'rkname'),
    ]);
    expect(
      rel('org.fedoraproject.prod.buildsys.tag', 'rkdirectory', folds.slice(0, 1)).slice(5),
    ).toEqual([
      'buildsys/tag.yml',
      'buildsys/tag.yaml',
      'buildsys/tag.ts',
      'buildsys/tag.js',
      'buildsys/tag.mjs',
    ]);
    expect(candidatePaths('org.x.y', 'rkname', ['org.'])[5]!.why).toMatch(/prefix org\. folded/);
  });

  it('skips folds that match nothing, leave nothing usable or repeat a topic', () => {
    expect(rel('a.b', 'rkname', ['x.', 'a.b', 'a', 'a.', 'a.'])).toEqual([
      ...rel('a.b', 'rkname'),
      ...rel('b', 'rkname'),
    ]);
  });
});

describe('resolveAutomation', () => {
  it('finds the first existing candidate, saying why and what it tried', async () => {
    const config = testConfig({
      overrides: { topics: { fold_prefixes: ['org.fedoraproject.prod.'] } },
    });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'buildsys.tag.ts'), 'export default () => 1;\n');
    writeFileSync(join(dir, 'buildsys.tag.mjs'), 'export default () => 1;\n');
    const res = await resolveAutomation(config, 'org.fedoraproject.prod.buildsys.tag');
    expect(res.found).toEqual({
      file: join(dir, 'buildsys.tag.ts'),
      relative: 'buildsys.tag.ts',
      kind: 'handler',
      why: expect.stringMatching(/prefix org\.fedoraproject\.prod\. folded/),
    });
    expect(res.tried).toEqual([
      ...rel('org.fedoraproject.prod.buildsys.tag', 'rkname'),
      'buildsys.tag.yml',
      'buildsys.tag.yaml',
      'buildsys.tag.ts',
    ]);
  });

  it('prefers the full topic, and playbooks over handlers', async () => {
    const config = testConfig({ overrides: { topics: { fold_prefixes: ['org.'] } } });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(dir, { recursive: true });
    for (const f of ['org.x.yaml', 'org.x.js', 'x.yml']) writeFileSync(join(dir, f), '');
    expect((await resolveAutomation(config, 'org.x')).found?.relative).toBe('org.x.yaml');
  });

  it('rkdirectory looks in folders, and ignores a directory named like a playbook', async () => {
    const config = testConfig({ overrides: { plugins: { translator: { name: 'rkdirectory' } } } });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(join(dir, 'a', 'b', 'c.yml'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'c.mjs'), '');
    const res = await resolveAutomation(config, 'a.b.c');
    expect(res.found).toMatchObject({
      relative: 'a/b/c.mjs',
      kind: 'handler',
      file: join(dir, 'a/b/c.mjs'),
    });
  });

  it('reports nothing found, with every path tried, also when the directory is missing', async () => {
    const config = testConfig();
    const res = await resolveAutomation(config, 'no.such');
    expect(res).toEqual({ topic: 'no.such', found: null, tried: rel('no.such', 'rkname') });
  });

  it.each(['../etc/passwd', 'a/b', '.hidden', 'a..b', ''])(
    'refuses the topic %j',
    async (topic) => {
      await expect(resolveAutomation(testConfig(), topic)).rejects.toThrow(/refusing/);
    },
  );
});
