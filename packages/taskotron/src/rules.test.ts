import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { normalise } from './normalise.js';
import { decide, loadRules, RulesError } from './rules.js';
import { SHIPPED_RULES } from './section.js';
import { substitute, fieldsOf } from './substitute.js';

/** The richer production rules of 2017 (part E.2). */
const PRODUCTION = `
- when: {message_type: KojiBuildPackageCompleted}
  do:
    - {tasks: [rpmlint, rpmgrill, python-versions]}
    - {discover: {repo: 'https://src.fedoraproject.org/rpms/\${name}', branch: "\${distgit_branch}", fallback_branch: 'master', recursive: true}}
- when: {message_type: KojiBuildPackageCompleted, name: docker}
  do:
    - {tasks: [dockerautotest]}
- when:
    message_type: KojiBuildPackageCompleted
    name:
      $in: \${critpath_pkgs}
      $nin: [firefox, thunderbird, kernel, kdelibs, kdepim, qt]
  do:
    - {tasks: [abicheck]}
- when:
    message_type: KojiTagChanged
    tag: {$regex: '/^f[0-9]{2}-updates(-testing)?-pending$$/'}
  do:
    - {tasks: [rpmdeplint]}
- when:
    message_type: KojiTagChanged
    tag: {$regex: '/^f[0-9]{2}-updates-pending$$/'}
  do:
    - {tasks: [upgradepath]}
- name: rpmdeplint-gating
  enabled: false
  reason: https://github.com/fedora-infra/bodhi/issues/3944
  when:
    message_type: KojiTagChanged
    tag:
      $and:
        - $regex: '/^f[0-9]{2}-updates(-testing)?-pending$$/'
        - $not:
            $regex: '/^f33-.*/'
  do:
    - tasks: [rpmdeplint]
- when: {message_type: DistGitCommit, namespace: modules}
  do:
    - {tasks: [check_modulemd]}
`;

const rules = loadRules(PRODUCTION, 'trigger_rules.yml');
const build = (name: string, critpath: string[] = []) => {
  const n = normalise(
    'org.fedoraproject.prod.buildsys.build.state.change',
    { name, version: '1.0', release: '1.fc25', new: 1, instance: 'primary' },
    { critpathPkgs: critpath },
  );
  if (!n.ok) throw new Error(n.reason);
  return n.data;
};
const tasks = (d: ReturnType<typeof decide>) => d.wanted.map((w) => `${w.taskname}/${w.arch}`);

describe('decide', () => {
  it('fires every matching rule, each (task, arch) once', () => {
    const d = decide(rules, build('docker'), { defaultArches: ['x86_64', 'noarch'] });
    expect(tasks(d)).toEqual([
      'rpmlint/x86_64',
      'rpmlint/noarch',
      'rpmgrill/x86_64',
      'rpmgrill/noarch',
      'python-versions/x86_64',
      'python-versions/noarch',
      'dockerautotest/x86_64',
      'dockerautotest/noarch',
    ]);
    expect(d.matched).toEqual(['rule 1', 'rule 2']);
    expect(d.disabled).toEqual([
      { rule: 'rpmdeplint-gating', reason: 'https://github.com/fedora-infra/bodhi/issues/3944' },
    ]);
    expect(d.errors).toEqual([]);
  });

  it('substitutes a list variable into $in, keeping it a list', () => {
    expect(tasks(decide(rules, build('glibc', ['glibc', 'kernel'])))).toContain('abicheck/noarch');
    expect(tasks(decide(rules, build('kernel', ['glibc', 'kernel'])))).not.toContain(
      'abicheck/noarch',
    );
    expect(tasks(decide(rules, build('vim', ['glibc'])))).not.toContain('abicheck/noarch');
  });

  it("reads string.Template's bare $var too, in when and in do", () => {
    const bare = loadRules(`
- when: {message_type: KojiBuildPackageCompleted, name: {$in: $critpath_pkgs}}
  do: [{tasks: [$name-check], arches: [$arch]}]
`);
    const d = decide(bare, { ...build('glibc', ['glibc']), arch: 'x86_64' });
    expect(tasks(d)).toEqual(['glibc-check/x86_64']);
    expect(tasks(decide(bare, build('vim', ['glibc'])))).toEqual([]);
  });

  it('reads $$ as a literal $ in regexes', () => {
    const at = (tag: string) => tasks(decide(rules, { message_type: 'KojiTagChanged', tag }));
    expect(at('f25-updates-pending')).toEqual(['rpmdeplint/noarch', 'upgradepath/noarch']);
    expect(at('f25-updates-testing-pending')).toEqual(['rpmdeplint/noarch']);
    expect(at('f25-updates-pending-x')).toEqual([]);
  });

  it('schedules nothing for a message no rule matches', () => {
    const d = decide(rules, { message_type: 'ModuleBuildComplete', item: 'x' });
    expect(d).toMatchObject({ wanted: [], matched: [], errors: [] });
  });

  it('reads placeholders bare in flow collections, as the rendered template read them', () => {
    const r = loadRules(
      [
        '- when: {message_type: KojiBuildPackageCompleted, name: {$in: ${critpath_pkgs}, $nin: [kernel]}}',
        '  do: [{tasks: [abicheck]}]',
        '- when: {message_type: KojiBuildPackageCompleted}',
        '  do: [{tasks: [${name}-check, rpmlint], arches: [${arch}]}]',
      ].join('\n'),
    );
    expect(tasks(decide(r, { ...build('glibc', ['glibc']), arch: 'x86_64' }))).toEqual([
      'abicheck/noarch',
      'glibc-check/x86_64',
      'rpmlint/x86_64',
    ]);
    expect(tasks(decide(r, { ...build('vim', ['glibc']), arch: 'x86_64' }))).toEqual([
      'vim-check/x86_64',
      'rpmlint/x86_64',
    ]);
    // A file that is no YAML for another reason says that reason, on its line.
    expect(() =>
      loadRules('- when: {name: {$in: ${critpath_pkgs}}}\n  do: [{tasks: [a]}\n', 'f.yml'),
    ).toThrow(/^f\.yml:3: not YAML/);
  });

  it('takes match_host_arch: false, the default a rules file may spell out', () => {
    const r = loadRules(
      '- when: {}\n  do:\n    - {tasks: [a], arches: [x86_64], match_host_arch: false}\n',
    );
    expect(tasks(decide(r, { item: 'x' }))).toEqual(['a/x86_64']);
  });

  it("match_host_arch: true schedules the item's arches when the message gives them, else valid_arches", () => {
    const r = loadRules('- when: {}\n  do:\n    - {tasks: [a], match_host_arch: true}\n');
    const validArches = ['x86_64', 'armhfp'];
    expect(tasks(decide(r, { item: 'x' }, { validArches }))).toEqual(['a/x86_64', 'a/armhfp']);
    const given = decide(
      r,
      { item: 'x', arches: ['x86_64', 'ppc64le', 'noarch'] },
      { validArches },
    );
    expect(tasks(given)).toEqual(['a/x86_64', 'a/noarch']);
    expect(given.dropped.map((d) => d.arch)).toEqual(['ppc64le']);
    // Without valid_arches (no limit) and no arches in the message: the default arches.
    expect(tasks(decide(r, { item: 'x' }))).toEqual(['a/noarch']);
  });

  it('lists discover actions with their values substituted and arches expanded, for the trigger', () => {
    const r = loadRules(
      [
        '- name: dist-git',
        '  when: {message_type: KojiBuildPackageCompleted}',
        '  do:',
        '    - {tasks: [rpmlint]}',
        "    - discover: {repo: 'https://src.fedoraproject.org/rpms/${name}', branch: '${distgit_branch}', fallback_branch: master, recursive: true}",
        '      arches: [x86_64, ppc64le]',
        '',
      ].join('\n'),
    );
    const d = decide(r, build('vim'), { validArches: ['x86_64'] });
    expect(tasks(d)).toEqual(['rpmlint/noarch']);
    expect(d.discover).toEqual([
      {
        rule: 'dist-git',
        repo: 'https://src.fedoraproject.org/rpms/vim',
        branch: 'f25',
        fallback_branch: 'master',
        recursive: true,
        arches: ['x86_64'],
      },
    ]);
    expect(d.dropped).toEqual([expect.objectContaining({ rule: 'dist-git', arch: 'ppc64le' })]);
    // A message whose values make no repository or branch: the problem goes with the action.
    const odd = decide(r, { ...build('vim'), name: '../../evil', distgit_branch: '-x' });
    expect(odd.discover[0]!.problem).toMatch(/holds a \. or \.\. segment/);
    expect(tasks(odd)).toEqual(['rpmlint/noarch']);
    const missing = decide(r, { message_type: 'KojiBuildPackageCompleted', item: 'x' });
    expect(missing.discover[0]!.problem).toMatch(/names a variable this message does not have/);
  });

  it('takes arches from the action', () => {
    const r = loadRules(
      '- when: {}\n  do:\n    - {tasks: [a], arches: [x86_64, armhfp]}\n    - {tasks: [b]}\n',
    );
    expect(tasks(decide(r, {}))).toEqual(['a/x86_64', 'a/armhfp', 'b/noarch']);
  });

  it('drops the arches valid_arches leaves out, saying why, and keeps noarch', () => {
    const r = loadRules(
      '- name: all\n  when: {}\n  do:\n    - {tasks: [a], arches: [x86_64, ppc64le, noarch]}\n    - {tasks: [b], arches: [ppc64le]}\n',
    );
    const d = decide(r, {}, { validArches: ['x86_64', 'armhfp'] });
    expect(tasks(d)).toEqual(['a/x86_64', 'a/noarch']);
    expect(d.matched).toEqual(['all']);
    expect(d.dropped).toEqual([
      {
        rule: 'all',
        arch: 'ppc64le',
        reason: 'arch ppc64le is not in taskotron.valid_arches (x86_64, armhfp)',
      },
    ]);
    expect(decide(r, {}).dropped).toEqual([]);
  });

  it('reports a rule that cannot be evaluated, and the others still fire', () => {
    const r = loadRules(`
- name: wants a list
  when: {name: {$in: '\${name}'}}
  do: [{tasks: [x]}]
- name: bad task from the message
  when: {}
  do: [{tasks: ['\${name}']}]
- when: {}
  do: [{tasks: [ok]}]
`);
    const d = decide(r, { name: '../etc' });
    expect(tasks(d)).toEqual(['ok/noarch']);
    expect(d.errors).toEqual([
      { rule: 'wants a list', error: 'when.name.$in: needs a list' },
      { rule: 'bad task from the message', error: 'task name "../etc" is not valid' },
    ]);
  });

  it('the shipped rules load and schedule the shipped checks for a koji build', () => {
    const shipped = loadRules(readFileSync(SHIPPED_RULES, 'utf8'), SHIPPED_RULES);
    expect(tasks(decide(shipped, build('cups')))).toEqual([
      'name-lint/noarch',
      'always-info/noarch',
    ]);
  });
});

describe('loadRules rejects bad rules naming the rule, key and line', () => {
  it.each<[string, string, RegExp]>([
    ['not YAML', '- when: [\n', /^f\.yml:\d+: not YAML/],
    ['not a list', 'when: {}\n', /^f\.yml:1: needs a YAML list of rules/],
    ['a rule that is no mapping', '- hello\n', /^f\.yml:1: rule 1: needs a mapping/],
    [
      'an unknown key',
      '- when: {}\n  do: [{tasks: [a]}]\n  dont: 1\n',
      /^f\.yml:1: rule 1: dont: unknown key/,
    ],
    ['no when', '- do: [{tasks: [a]}]\n', /rule 1: when: needs a mapping/],
    ['an empty do', '- when: {}\n  do: []\n', /rule 1: do: needs a non-empty list/],
    [
      'an unknown operator',
      '- when: {}\n  do: [{tasks: [a]}]\n- name: two\n  when:\n    tag: {$regexp: x}\n  do: [{tasks: [a]}]\n',
      /^f\.yml:4: rule 2 \(two\): when\.tag\.\$regexp: unknown operator/,
    ],
    [
      'a broken regex',
      '- when:\n    tag: {$regex: "/(/"}\n  do: [{tasks: [a]}]\n',
      /^f\.yml:1: rule 1: when\.tag\.\$regex: invalid regex/,
    ],
    [
      'a task name with a slash',
      '- when: {}\n  do:\n    - tasks: [../x]\n',
      /^f\.yml:3: rule 1: do\[0\]\.tasks: "\.\.\/x" is not a task name/,
    ],
    [
      'arches not a list',
      '- when: {}\n  do: [{tasks: [a], arches: x86_64}]\n',
      /do\[0\]\.arches: needs a non-empty list of arches/,
    ],
    [
      'a discover repo that is no URL',
      '- when: {}\n  do: [{discover: {repo: x, branch: master}}]\n',
      /do\[0\]\.discover\.repo: repository "x" is not an http, https, git or file URL/,
    ],
    [
      'a discover repo that runs a command (ext::)',
      "- when: {}\n  do: [{discover: {repo: 'ext::sh -c touch% /tmp/pwned', branch: master}}]\n",
      /do\[0\]\.discover\.repo: .* is not an http, https, git or file URL/,
    ],
    [
      'a discover repo whose message part could be an option',
      "- when: {}\n  do: [{discover: {repo: '-${name}', branch: master}}]\n",
      /do\[0\]\.discover\.repo: repository "-x" starts with -/,
    ],
    [
      'a discover branch that is an option',
      "- when: {}\n  do: [{discover: {repo: 'https://h/r', branch: '--upload-pack=x'}}]\n",
      /do\[0\]\.discover\.branch: branch "--upload-pack=x" starts with -/,
    ],
    [
      'a discover without branch',
      "- when: {}\n  do: [{discover: {repo: 'https://h/r'}}]\n",
      /do\[0\]\.discover\.branch: needs a string/,
    ],
    [
      'an unknown discover key',
      "- when: {}\n  do: [{discover: {repo: 'https://h/r', branch: b, depth: 1}}]\n",
      /do\[0\]\.discover\.depth: unknown key/,
    ],
    [
      'recursive not boolean',
      "- when: {}\n  do: [{discover: {repo: 'https://h/r', branch: b, recursive: 'yes'}}]\n",
      /do\[0\]\.discover\.recursive: needs true or false/,
    ],
    [
      'both tasks and discover',
      "- when: {}\n  do: [{tasks: [a], discover: {repo: 'https://h/r', branch: b}}]\n",
      /do\[0\]: has both tasks and discover: give one per action/,
    ],
    [
      'neither tasks nor discover',
      '- when: {}\n  do: [{arches: [x86_64]}]\n',
      /do\[0\]: needs tasks or discover$/,
    ],
    [
      'match_host_arch: true with arches',
      '- when: {}\n  do: [{tasks: [a], arches: [x86_64], match_host_arch: true}]\n',
      /do\[0\]\.match_host_arch: takes the item's arches: give arches or match_host_arch: true, not both/,
    ],
    [
      'match_host_arch not boolean',
      '- when: {}\n  do: [{tasks: [a], match_host_arch: 1}]\n',
      /do\[0\]\.match_host_arch: needs true or false/,
    ],
    [
      'disabled without a reason',
      '- when: {}\n  enabled: false\n  do: [{tasks: [a]}]\n',
      /rule 1: reason: a disabled rule needs a reason/,
    ],
    [
      'enabled not boolean',
      '- when: {}\n  enabled: "no"\n  do: [{tasks: [a]}]\n',
      /rule 1: enabled: needs true or false/,
    ],
  ])('%s', (_what, text, message) => {
    expect(() => loadRules(text, 'f.yml')).toThrow(RulesError);
    expect(() => loadRules(text, 'f.yml')).toThrow(message);
  });

  it('an empty file is no rules', () => {
    expect(loadRules('# nothing yet\n')).toEqual([]);
  });

  it('names the line of the rule in a longer file', () => {
    const text = PRODUCTION.replace('name: docker', 'name: {$bad: docker}');
    expect(() => loadRules(text, 'p.yml')).toThrow(
      /^p\.yml:6: rule 2: when\.name\.\$bad: unknown operator/,
    );
  });
});

describe('substitute', () => {
  const lookup = fieldsOf({ name: 'cups', pkgs: ['a', 'b'], n: 3 });
  it.each<[unknown, unknown]>([
    ['${name}', 'cups'],
    ['${pkgs}', ['a', 'b']],
    ['pre-${name}-${n}', 'pre-cups-3'],
    ['list ${pkgs}', 'list a,b'],
    ['/^f[0-9]{2}$$/', '/^f[0-9]{2}$/'],
    ['$${name}', '${name}'],
    ['${unknown}', '${unknown}'],
    ['a $ b $x', 'a $ b $x'],
    // string.Template's bare form: the longest name after the $.
    ['$name', 'cups'],
    ['$pkgs', ['a', 'b']],
    ['rpms/$name.git', 'rpms/cups.git'],
    ['$name_x $n', '$name_x 3'],
    ['$$name', '$name'],
    ['${constructor}', '${constructor}'],
    [
      { k: ['${name}'], '${name}': 1 },
      { k: ['cups'], '${name}': 1 },
    ],
    [5, 5],
  ])('%j -> %j', (tree, expected) => {
    expect(substitute(tree, lookup)).toEqual(expected);
  });
});
