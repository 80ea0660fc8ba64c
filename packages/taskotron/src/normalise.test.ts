import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { distgitBranch, normalise, triggerTopics } from './normalise.js';

const envelope = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/fedmsg/buildsys.build.state.change.json', import.meta.url),
    'utf8',
  ),
) as { topic: string; msg: Record<string, unknown> };

const PROD = 'org.fedoraproject.prod.';
const STG = 'org.fedoraproject.stg.';

describe('koji build completed', () => {
  it('normalises the real fedmsg fixture', () => {
    const n = normalise(envelope.topic, envelope.msg, { critpathPkgs: ['ansible', 'kernel'] });
    expect(n).toEqual({
      ok: true,
      data: {
        _msg: envelope.msg,
        message_type: 'KojiBuildPackageCompleted',
        item: 'ansible-1.8.3-1.el7',
        item_type: 'koji_build',
        name: 'ansible',
        version: '1.8.3',
        release: '1.el7',
        critpath_pkgs: ['ansible', 'kernel'],
        distgit_branch: 'epel7',
      },
    });
  });

  it('takes stg messages as prod ones', () => {
    const n = normalise(`${STG}buildsys.build.state.change`, envelope.msg);
    expect(n.ok && n.data.item).toBe('ansible-1.8.3-1.el7');
  });

  it.each([
    ['a build that started', { new: 0 }, /state 0 is not COMPLETE/],
    ['a failed build', { new: 3 }, /state 3 is not COMPLETE/],
    ['a deleted build', { new: 2 }, /not COMPLETE/],
    ['another koji instance', { instance: 'ppc' }, /instance "ppc" is not the primary/],
    ['a scratch build', { scratch: true }, /scratch build/],
    ['a build without a name', { name: undefined }, /name/],
    ['a build with a numeric version', { version: 3 }, /version/],
  ])('skips %s', (_what, change, reason) => {
    const n = normalise(envelope.topic, { ...envelope.msg, ...change });
    expect(n.ok).toBe(false);
    expect(!n.ok && n.reason).toMatch(reason);
  });

  it.each([
    ['3.fc23', 'f23'],
    ['1.fc40.1', 'f40'],
    ['1.el7', 'epel7'],
    ['1.el6', 'el6'],
    ['1.el8_2', 'epel8'],
    ['1.module_f28+123', undefined],
    ['1', undefined],
  ])('derives the dist-git branch of release %s: %s', (release, branch) => {
    expect(distgitBranch(release)).toBe(branch);
  });
});

describe('the other topics', () => {
  const tag = {
    tag: 'f25-updates-testing-pending',
    name: 'cups',
    version: '2.2.0',
    release: '9.fc25',
    instance: 'primary',
  };

  it('koji tag changed: the tag is the item', () => {
    const n = normalise(`${PROD}buildsys.tag`, tag);
    expect(n.ok && n.data).toMatchObject({
      message_type: 'KojiTagChanged',
      item: 'f25-updates-testing-pending',
      item_type: 'koji_tag',
      tag: 'f25-updates-testing-pending',
      name: 'cups',
    });
    expect(normalise(`${PROD}buildsys.tag`, { ...tag, instance: 's390' }).ok).toBe(false);
  });

  it('bodhi update request: the alias is the item, the request a field', () => {
    for (const request of ['testing', 'stable']) {
      const body = { update: { alias: 'FEDORA-2017-04459ef8cf', request } };
      const n = normalise(`${PROD}bodhi.update.request.${request}`, body);
      expect(n.ok && n.data).toMatchObject({
        message_type: 'BodhiUpdateRequest',
        item: 'FEDORA-2017-04459ef8cf',
        item_type: 'bodhi_update',
        request,
      });
    }
    expect(normalise(`${PROD}bodhi.update.request.testing`, { update: {} }).ok).toBe(false);
  });

  it('dist-git commit: namespace/repo#rev', () => {
    const body = {
      commit: { namespace: 'modules', repo: 'nodejs', rev: 'fe7fce2a', branch: 'f26' },
    };
    const n = normalise(`${PROD}git.receive`, body);
    expect(n.ok && n.data).toMatchObject({
      message_type: 'DistGitCommit',
      item: 'modules/nodejs#fe7fce2a',
      item_type: 'dist_git_commit',
      namespace: 'modules',
      branch: 'f26',
    });
  });

  it('pagure commit: the git_commit item of runtask', () => {
    const body = {
      repo: { fullname: 'taskotron/rpmdeplint' },
      branch: 'master',
      end_commit: '080d95',
    };
    for (const [d, server] of [
      ['prod', 'https://pagure.io'],
      ['stg', 'https://stg.pagure.io'],
    ]) {
      const n = normalise(`io.pagure.${d}.pagure.git.receive`, body);
      expect(n.ok && n.data).toMatchObject({
        message_type: 'PagureGitReceive',
        item: `${server}/taskotron/rpmdeplint#refs/heads/master#080d95`,
        item_type: 'git_commit',
        repo: 'taskotron/rpmdeplint',
      });
    }
  });

  it("pagure commit: the repository's own URL when the message has one (a fork)", () => {
    const repo = { fullname: 'forks/jdoe/taskotron/rpmdeplint' };
    const item = (fullUrl: unknown) => {
      const body = { repo: { ...repo, full_url: fullUrl }, branch: 'fix', end_commit: 'abc' };
      const n = normalise('io.pagure.prod.pagure.git.receive', body);
      return n.ok ? n.data.item : n.reason;
    };
    expect(item('https://pagure.io/fork/jdoe/taskotron/rpmdeplint/')).toBe(
      'https://pagure.io/fork/jdoe/taskotron/rpmdeplint#refs/heads/fix#abc',
    );
    // Not a URL, or one that would add a part to the item: the server and fullname.
    for (const bad of [null, 42, 'pagure.io/x', 'https://pagure.io/x#y'])
      expect(item(bad)).toBe(
        'https://pagure.io/forks/jdoe/taskotron/rpmdeplint#refs/heads/fix#abc',
      );
  });

  it('module build: only ready ones', () => {
    const body = { name: 'nodejs', stream: 'f26', version: 20170511113257, state_name: 'ready' };
    const n = normalise(`${PROD}mbs.module.state.change`, body);
    expect(n.ok && n.data).toMatchObject({
      message_type: 'ModuleBuildComplete',
      item: 'nodejs-f26-20170511113257',
      item_type: 'module_build',
    });
    expect(normalise(`${PROD}mbs.module.state.change`, { ...body, state_name: 'build' }).ok).toBe(
      false,
    );
  });

  /**
   * github2fedmsg's body of `github.pull_request.opened` (the GitHub webhook payload), shaped as
   * fedmsg_meta_fedora_infrastructure's test of `github.pull_request.closed` has it, cut down.
   */
  const pullRequest = {
    action: 'opened',
    number: 6,
    fas_usernames: { ralphbean: 'ralph' },
    pull_request: {
      html_url: 'https://github.com/container-images/memcached/pull/6',
      url: 'https://api.github.com/repos/container-images/memcached/pulls/6',
      number: 6,
      state: 'open',
      title: 'No more retask.',
      head: { sha: '54c80f816ed992a3a43c823e11cfce0a69f64d6d', ref: 'feature/no-more-retask' },
      base: { sha: 'e6ee4b6d136e3897c00b6904becc29bacfa139e8', ref: 'master' },
    },
    repository: {
      full_name: 'container-images/memcached',
      name: 'memcached',
      html_url: 'https://github.com/container-images/memcached',
    },
    sender: { login: 'ralphbean' },
  };

  it('github pull request opened: the PR URL is the item, owner/repo the repo_name', () => {
    for (const d of [PROD, STG]) {
      const n = normalise(`${d}github.pull_request.opened`, pullRequest);
      expect(n).toEqual({
        ok: true,
        data: {
          _msg: pullRequest,
          message_type: 'GitHubPullRequestOpened',
          item: 'https://github.com/container-images/memcached/pull/6',
          item_type: 'pull_request',
          repo_name: 'container-images/memcached',
        },
      });
    }
  });

  it.each<[string, unknown, RegExp]>([
    ['no pull_request', { ...pullRequest, pull_request: undefined }, /pull_request: /],
    [
      'a PR URL that is no URL',
      { ...pullRequest, pull_request: { html_url: 'javascript:alert(1)' } },
      /pull_request.html_url: not an http\(s\) URL/,
    ],
    [
      'a repository without its owner',
      { ...pullRequest, repository: { full_name: 'memcached' } },
      /repository.full_name: not owner\/repo/,
    ],
    ['a list', [pullRequest], /not a github pull request message/],
  ])('github pull request: skips %s, saying why', (_what, body, reason) => {
    const n = normalise(`${PROD}github.pull_request.opened`, body);
    expect(n.ok).toBe(false);
    expect(!n.ok && n.reason).toMatch(/^not a github pull request message: /);
    expect(!n.ok && n.reason).toMatch(reason);
  });

  /** pungi's `compose.status.change`, as fedmsg_meta_fedora_infrastructure's tests have it. */
  const compose = (compose_id: string, status = 'FINISHED') => ({
    compose_id,
    location: `https://kojipkgs.fedoraproject.org/compose/twoweek/${compose_id}/compose`,
    status,
  });

  it.each([
    ['Fedora-Atomic-26-20170707.1', 'AtomicCompose'],
    ['Fedora-AtomicHost-28-20180625.1', 'AtomicCompose'],
    ['Fedora-Cloud-26-20170707.0', 'CloudCompose'],
  ])('pungi compose %s finished: %s, the compose URL is the item', (id, type) => {
    for (const d of [PROD, STG]) {
      const body = compose(id);
      expect(normalise(`${d}pungi.compose.status.change`, body)).toEqual({
        ok: true,
        data: {
          _msg: body,
          message_type: type,
          item: body.location,
          item_type: 'compose',
          compose_id: id,
          status: 'FINISHED',
        },
      });
    }
    const incomplete = normalise(
      `${PROD}pungi.compose.status.change`,
      compose(id, 'FINISHED_INCOMPLETE'),
    );
    expect(incomplete.ok && incomplete.data.message_type).toBe(type);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a compose that started',
      compose('Fedora-Atomic-26-20170707.1', 'STARTED'),
      /^compose status STARTED is not FINISHED or FINISHED_INCOMPLETE$/,
    ],
    [
      'a terminated compose',
      compose('Fedora-Cloud-26-20170707.0', 'TERMINATED'),
      /status TERMINATED/,
    ],
    [
      'the nightly compose',
      compose('Fedora-24-20151208.n.7'),
      /^compose Fedora-24-20151208.n.7 is neither an Atomic nor a Cloud compose$/,
    ],
    [
      'a compose without a location',
      { compose_id: 'Fedora-Atomic-26-20170707.1', status: 'FINISHED' },
      /^not a pungi compose message: location: /,
    ],
    ['a number', 42, /^not a pungi compose message: /],
  ])('pungi compose: skips %s, saying why', (_what, body, reason) => {
    const n = normalise(`${PROD}pungi.compose.status.change`, body);
    expect(n.ok).toBe(false);
    expect(!n.ok && n.reason).toMatch(reason);
  });

  it('lists the same topics for prod and stg', () => {
    const prod = Object.values(triggerTopics('prod'));
    expect(Object.values(triggerTopics('stg'))).toEqual(prod);
    expect(Object.keys(triggerTopics('stg')).every((t) => t.includes('.stg.'))).toBe(true);
  });

  it('skips topics it does not know, also inherited property names', () => {
    expect(normalise('org.fedoraproject.prod.fas.user.create', {}).ok).toBe(false);
    expect(normalise('constructor', {}).ok).toBe(false);
    expect(normalise('__proto__', {}).ok).toBe(false);
  });
});

describe('hostile bodies', () => {
  it('never throw, and whatever they are, give ok or a reason', () => {
    const topics = [...Object.keys(triggerTopics('prod')), 'x'];
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.anything(), (topic, body) => {
        const n = normalise(topic, body);
        if (n.ok) expect(typeof n.data.item).toBe('string');
        else expect(n.reason.length).toBeGreaterThan(0);
      }),
    );
  });
});
