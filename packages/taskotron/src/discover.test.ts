import { describe, expect, it } from '@jest/globals';
import { branchProblem, CHECK_PATH, findChecks, MAX_DISCOVERED, repoProblem } from './discover.js';

const file = (path: string, mode = '100644') => ({ mode, path });

describe('findChecks: which directories of a repository are checks', () => {
  const tree = [
    file('package.spec'),
    file('tests.yml'), // the root is no check: a task name is a directory
    file('tests/tests.yml'),
    file('tests/inventory', '100755'),
    file('tests/smoke/tests.yml', '100755'),
    file('tests/smoke/deep/er/tests.yml'),
    file('other/tests.yml'),
    file('other/tests.yaml'),
    file('nocheck/README'),
  ];

  it('without recursive, only the top-level directories (dist-git tests/ among them)', () => {
    expect(findChecks(tree, false)).toEqual({ checks: ['other', 'tests'], skipped: [] });
  });

  it('with recursive, every directory below the root, named by its path', () => {
    expect(findChecks(tree, true).checks).toEqual([
      'other',
      'tests',
      'tests/smoke',
      'tests/smoke/deep/er',
    ]);
  });

  it('takes a directory holding any tests*.yml; leaves out symlinks, submodules and paths that are not task names, saying why', () => {
    const odd = [
      file('link/tests.yml', '120000'),
      file('sub/tests.yml', '160000'),
      file('.hidden/tests.yml'),
      file('tests/.git/tests.yml'),
      file('sp ace/tests.yml'),
      file('-rf/tests.yml'),
      file('ok/tests.yml'),
      file('upgrade/tests_upgrade.yml'),
      file('upgrade/tests_upgrade.yml.orig'),
      file('notests/test.yml'),
    ];
    const found = findChecks(odd, true);
    expect(found.checks).toEqual(['ok', 'upgrade']);
    expect(found.skipped).toEqual([
      { path: 'link', reason: 'no tests*.yml is a regular file' },
      { path: 'sub', reason: 'no tests*.yml is a regular file' },
      { path: '.hidden', reason: 'the path is not a task name' },
      { path: 'tests/.git', reason: 'the path is not a task name' },
      { path: 'sp ace', reason: 'the path is not a task name' },
      { path: '-rf', reason: 'the path is not a task name' },
    ]);
  });

  it(`schedules at most ${MAX_DISCOVERED} checks of one repository, reporting the rest`, () => {
    const many = Array.from({ length: MAX_DISCOVERED + 2 }, (_, i) =>
      file(`c${String(i).padStart(3, '0')}/tests.yml`),
    );
    const found = findChecks(many, false);
    expect(found.checks).toHaveLength(MAX_DISCOVERED);
    expect(found.skipped.map((s) => s.path)).toEqual(['c100', 'c101']);
  });

  it('CHECK_PATH takes task names joined by /, nothing else', () => {
    for (const ok of ['tests', 'tests/smoke', 'a.b/c_d+e-f'])
      expect(CHECK_PATH.test(ok)).toBe(true);
    for (const bad of [
      '',
      '/tests',
      'tests/',
      'a//b',
      '../x',
      'a/../b',
      'a/.b',
      '-x',
      'a/-x',
      'x'.repeat(256),
    ])
      expect(CHECK_PATH.test(bad)).toBe(false);
  });
});

describe('repoProblem and branchProblem: what a message may make git clone', () => {
  it.each([
    'https://src.fedoraproject.org/rpms/vim',
    'http://h:8080/r.git',
    'git://pkgs.example.org/rpms/vim',
    'file:///tmp/x/repo.git',
  ])('takes %s', (repo) => expect(repoProblem(repo)).toBeNull());

  it.each<[string, RegExp]>([
    ['ext::sh -c touch% /tmp/pwned', /not an http, https, git or file URL/],
    ['ssh://h/r', /not an http, https, git or file URL/],
    ['/srv/repo', /not an http, https, git or file URL/],
    ['--upload-pack=touch /tmp/x', /starts with -/],
    ['https://h/r\n-x', /control character/],
    ['https://h/rpms/../evil', /\. or \.\. segment/],
    ['https://h/rpms/%2e%2e/evil', /escaped/],
    ['https://h/r?x=1', /query/],
    ['https://' + 'a'.repeat(1100), /longer than 1024/],
  ])('refuses %j', (repo, why) => expect(repoProblem(repo)).toMatch(why));

  it.each(['master', 'f41', 'epel7', 'rawhide', 'feature/x', 'v1.0'])('takes branch %s', (b) =>
    expect(branchProblem(b)).toBeNull(),
  );

  it.each([
    '-x',
    '--upload-pack=x',
    '',
    'a b',
    'a..b',
    'a~1',
    'x^',
    'a:b',
    '.hidden',
    'x.lock',
    'x/',
    '@',
    'a@{1}',
    'a\\b',
    '*',
  ])('refuses branch %j', (b) => expect(branchProblem(b)).not.toBeNull());
});
