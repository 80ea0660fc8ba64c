import { describe, expect, it } from '@jest/globals';
import { checkOrigin, namespacedSink, namespacePolicy, namespaceRefusal } from './namespaces.js';
import type { ResultsdbPayload } from './report.js';
import { taskotronSection } from './section.js';

const policy = {
  safe: ['scratch'],
  whitelist: {
    dist: ['/srv/tasks/', 'https://pagure.io/taskotron/'],
    pkg: ['https://src.fedoraproject.org/tests/'],
  },
};

describe('checkname namespaces', () => {
  it('lets any check report under a safe namespace', () => {
    expect(namespaceRefusal('scratch.mine', '/home/me/check/', policy)).toBeNull();
  });

  it('lets a check report under a whitelisted namespace when its origin is listed for it', () => {
    expect(namespaceRefusal('dist.rpmlint', '/srv/tasks/rpmlint/', policy)).toBeNull();
    expect(
      namespaceRefusal('dist.abicheck', 'https://pagure.io/taskotron/task-abicheck.git', policy),
    ).toBeNull();
  });

  it('refuses another origin, with libtaskotron words and the key to change', () => {
    expect(namespaceRefusal('dist.rpmlint', '/srv/tasks-evil/rpmlint/', policy)).toBe(
      'This repo is not allowed to post results into dist namespace: /srv/tasks-evil/rpmlint/ is not in taskotron.namespaces_whitelist.dist',
    );
    expect(namespaceRefusal('pkg.x', '/srv/tasks/x/', policy)).toMatch(/^This repo is not allowed/);
  });

  it.each(['rpmlint', 'evil.rpmlint', '.dist', 'constructor.x'])(
    'refuses %s: no such namespace',
    (checkname) => {
      expect(namespaceRefusal(checkname, '/srv/tasks/x/', policy)).toBe(
        `No namespace for task ${checkname} exists: a checkname starts with one of scratch., dist., pkg.`,
      );
    },
  );

  it('lets checks in tasks_dir report dist. by default, and nothing report pkg.', () => {
    const env = {
      section: taskotronSection.parse({ tasks_dir: 'tasks' }),
      resolvePath: (p: string) => `/etc/lb/${p}`,
    };
    expect(namespacePolicy(env)).toEqual({
      safe: ['scratch'],
      whitelist: { dist: ['/etc/lb/tasks/'], pkg: [] },
    });
    const listed = namespacePolicy({
      ...env,
      section: taskotronSection.parse({
        namespaces_whitelist: { dist: ['mine', 'https://pagure.io/taskotron/'] },
      }),
    });
    expect(listed.whitelist).toEqual({ dist: ['/etc/lb/mine/', 'https://pagure.io/taskotron/'] });
    expect(checkOrigin('/etc/lb/mine/x')).toBe('/etc/lb/mine/x/');
  });

  it('refuses in the sink what the policy refuses, and passes the rest on', async () => {
    const sent: string[] = [];
    const sink = namespacedSink(
      {
        name: 'store',
        submit: async (body) => (sent.push(body.testcase.name), { ok: true, id: 1 }),
      },
      '/home/me/check/',
      policy,
    );
    const body = (name: string) => ({ testcase: { name } }) as ResultsdbPayload;
    expect(await sink.submit(body('scratch.a'))).toEqual({ ok: true, id: 1 });
    expect(await sink.submit(body('dist.a'))).toMatchObject({ ok: false });
    expect(sent).toEqual(['scratch.a']);
    expect(sink.name).toBe('store');
  });
});
