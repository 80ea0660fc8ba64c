import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { topicProblem } from '@loopabull/core';
import { removeTempDirs, testConfig, writeAutomation } from '@test/support';
import {
  candidatePaths,
  isAutomationFile,
  PlaybooksDirMissing,
  resolveAutomation,
  unreachableBecause,
} from './resolve.js';

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

  it('rkdirectory never names a file in node_modules, hidden or _-prefixed', () => {
    for (const topic of [
      'node_modules.leftpad.index',
      'a.node_modules.b',
      'a.Node_Modules.b',
      'a._lib.b',
      'a._private',
      'a.b.',
    ])
      expect(rel(topic, 'rkdirectory')).toEqual([]);
    // A file named after node_modules is not inside a package; rkname names only files in the root.
    expect(rel('a.node_modules', 'rkdirectory')[0]).toBe('a/node_modules.yml');
    expect(rel('node_modules.leftpad.index', 'rkname')[0]).toBe('node_modules.leftpad.index.yml');
    expect(rel('a.b.', 'rkname')[0]).toBe('a.b..yml');
  });

  it('still tries a fold that leads out of an unreachable name', () => {
    expect(rel('x._y.z', 'rkdirectory', ['x._y.'])).toEqual(rel('z', 'rkdirectory'));
  });

  it('skips folds that match nothing, leave nothing usable or repeat a topic', () => {
    expect(rel('a.b', 'rkname', ['x.', 'a.b', 'a', 'a.', 'a.'])).toEqual([
      ...rel('a.b', 'rkname'),
      ...rel('b', 'rkname'),
    ]);
  });
});

describe('resolveAutomation', () => {
  it('fails, not unrouted, while the playbooks directory is missing, and resolves once it is back', async () => {
    const config = testConfig();
    const dir = config.ansible.playbooks_dir;
    rmSync(dir, { recursive: true, force: true });
    expect(() => resolveAutomation(config, 'org.example.x')).toThrow(
      new PlaybooksDirMissing(
        `the playbooks directory ${resolve(dir)} does not exist or is not a directory (ansible.playbooks_dir)`,
      ),
    );
    writeFileSync(dir, 'a file where the directory should be');
    await new Promise((r) => setImmediate(r));
    expect(() => resolveAutomation(config, 'org.example.x')).toThrow(PlaybooksDirMissing);
    rmSync(dir);
    mkdirSync(dir);
    await new Promise((r) => setImmediate(r));
    expect(resolveAutomation(config, 'org.example.x').found).toBeNull();
  });

  it('finds the first existing candidate, saying why and what it tried', async () => {
    const config = testConfig({
      overrides: { topics: { fold_prefixes: ['org.fedoraproject.prod.'] } },
    });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'buildsys.tag.ts'), 'export default () => 1;\n');
    writeFileSync(join(dir, 'buildsys.tag.mjs'), 'export default () => 1;\n');
    const res = resolveAutomation(config, 'org.fedoraproject.prod.buildsys.tag');
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

  it('sees a file dropped in or removed since it last looked, however settled the directory', async () => {
    // Jobs started in one turn of the event loop share one look at the disk (stat-this-turn.ts):
    // a later job is one started in a later turn.
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const config = testConfig();
    const dir = config.ansible.playbooks_dir;
    mkdirSync(dir, { recursive: true });
    const { mtime } = statSync(dir);
    // Judged an hour from now, the directory is settled: what is found in it is remembered.
    const later = () => resolveAutomation(config, 'org.example.dropped', Date.now() + 3600_000);
    expect(later().found).toBeNull();
    expect(later().found).toBeNull();
    writeFileSync(join(dir, 'org.example.dropped.mjs'), 'export default () => 1;\n');
    // As rsync -a or cp -p leave it: the directory's mtime set back to what it was.
    utimesSync(dir, mtime, mtime);
    await nextTurn();
    expect(later().found?.relative).toBe('org.example.dropped.mjs');
    expect(later().found?.relative).toBe('org.example.dropped.mjs');
    rmSync(join(dir, 'org.example.dropped.mjs'));
    utimesSync(dir, mtime, mtime);
    await nextTurn();
    expect(later().found).toBeNull();
  });

  it('prefers the full topic, and playbooks over handlers', async () => {
    const config = testConfig({ overrides: { topics: { fold_prefixes: ['org.'] } } });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(dir, { recursive: true });
    for (const f of ['org.x.yaml', 'org.x.js', 'x.yml']) writeFileSync(join(dir, f), '');
    expect(resolveAutomation(config, 'org.x').found?.relative).toBe('org.x.yaml');
  });

  it('rkdirectory looks in folders, and ignores a directory named like a playbook', async () => {
    const config = testConfig({ overrides: { plugins: { translator: { name: 'rkdirectory' } } } });
    const dir = config.ansible.playbooks_dir;
    mkdirSync(join(dir, 'a', 'b', 'c.yml'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'c.mjs'), '');
    const res = resolveAutomation(config, 'a.b.c');
    expect(res.found).toMatchObject({
      relative: 'a/b/c.mjs',
      kind: 'handler',
      file: join(dir, 'a/b/c.mjs'),
    });
  });

  it('reports nothing found, with every path tried', async () => {
    const config = testConfig();
    mkdirSync(config.ansible.playbooks_dir, { recursive: true });
    const res = resolveAutomation(config, 'no.such');
    expect(res).toEqual({
      topic: 'no.such',
      found: null,
      tried: rel('no.such', 'rkname'),
      skipped: [],
    });
  });

  it('does not run a module under node_modules, hidden or private folders with rkdirectory', async () => {
    const config = testConfig({ overrides: { plugins: { translator: { name: 'rkdirectory' } } } });
    const dir = config.ansible.playbooks_dir;
    for (const f of ['node_modules/leftpad/index.js', 'a/_lib/helper.mjs', 'a/b/.yml', 'a/_x.js'])
      writeAutomation(dir, f, 'export default () => 1;\n');
    for (const [topic, why] of [
      ['node_modules.leftpad.index', 'node_modules/leftpad/index.* (folder node_modules)'],
      ['a._lib.helper', 'a/_lib/helper.* (private segment _lib)'],
      ['a.b.', 'a/b/.* (an empty segment)'],
      ['a._x', 'a/_x.* (private segment _x)'],
    ]) {
      expect(resolveAutomation(config, topic!)).toEqual({
        topic,
        found: null,
        tried: [],
        skipped: [why],
      });
    }
  });

  it('reports no automation, not an error, for names too long for the file system', async () => {
    for (const translator of ['rkname', 'rkdirectory'] as const) {
      const config = testConfig({ overrides: { plugins: { translator: { name: translator } } } });
      mkdirSync(config.ansible.playbooks_dir, { recursive: true });
      const topic = 'a'.repeat(255);
      expect(topicProblem(topic)).toBeNull();
      const res = resolveAutomation(config, topic);
      expect(res.found).toBeNull();
      expect(res.tried).toEqual(rel(topic, translator));
    }
  });

  it.each(['../etc/passwd', 'a/b', '.hidden', 'a..b', ''])('refuses the topic %j', (topic) => {
    expect(() => resolveAutomation(testConfig(), topic)).toThrow(/refusing/);
  });
});

describe('unreachableBecause', () => {
  it.each([
    ['a/b/c', null],
    ['a/node_modules', null],
    ['a/node_modules/b', 'folder node_modules'],
    ['NODE_MODULES/b', 'folder node_modules'],
    ['a/.git/config', 'hidden segment .git'],
    ['a/_lib/x', 'private segment _lib'],
    ['a//b', 'an empty segment'],
    ['a/b/', 'an empty segment'],
  ])('%s: %s', (path, why) => expect(unreachableBecause(path)).toBe(why));
});

describe('isAutomationFile (what doctor counts)', () => {
  it.each([
    ['org.example.topic.yml', 'rkname', true],
    ['org.example.topic.mjs', 'rkname', true],
    ['org.example.topic.json', 'rkname', false],
    ['_helpers.mjs', 'rkname', false],
    ['.topic.yml', 'rkname', false],
    ['org/example/topic.yml', 'rkname', false],
    ['org/example/topic.yml', 'rkdirectory', true],
    ['node_modules/@loopabull/core/dist/index.js', 'rkdirectory', false],
    ['a/_lib/x.ts', 'rkdirectory', false],
    ['a/.git/hooks/x.js', 'rkdirectory', false],
  ] as const)('%s with %s: %s', (path, translator, expected) =>
    expect(isAutomationFile(path, translator)).toBe(expected),
  );
});

describe('candidate paths for any topic the looper accepts', () => {
  const segment = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,8}$/),
    fc.constantFrom('node_modules', 'Node_Modules', '_lib', '_', '-x', 'x-', ''),
  );
  const topic = fc
    .array(segment, { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('.'))
    .filter((t) => topicProblem(t) === null);
  const translator = fc.constantFrom('rkname' as const, 'rkdirectory' as const);
  const folds = fc.array(
    fc.constantFrom('org.', 'org.fedoraproject.prod.', 'node_modules.', 'a._lib.', 'x.'),
    { maxLength: 3 },
  );
  const root = resolve('/srv/playbooks');

  it('stay inside the playbooks directory and out of packages, hidden and private files', () => {
    fc.assert(
      fc.property(topic, translator, folds, (t, tr, fp) => {
        for (const { relative } of candidatePaths(t, tr, fp)) {
          expect(resolve(root, relative).startsWith(root + sep)).toBe(true);
          const stem = relative.slice(0, relative.lastIndexOf('.'));
          expect(unreachableBecause(stem)).toBeNull();
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('include the topic itself whenever none of its names is unreachable', () => {
    fc.assert(
      fc.property(topic, translator, (t, tr) => {
        const stem = tr === 'rkdirectory' ? t.replaceAll('.', '/') : t;
        const names = rel(t, tr);
        expect(names.length).toBe(unreachableBecause(stem) === null ? 5 : 0);
      }),
    );
  });
});
