import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nastyJson, nastyString, tryAll } from '@test/support';
import { parseJob } from './job.js';

const JOB = {
  item: 'ansible-1.8.3-1.el7',
  item_type: 'koji_build',
  taskname: 'name-lint',
  arch: 'noarch',
  uuid: '6f1f3c1e-8c5a-4f0e-9a51-0c3b8e2f7d10',
};

describe('parseJob', () => {
  it('takes the job of part E.3, with or without git_repo, git_branch and git_commit', () => {
    expect(parseJob(JOB)).toEqual({ ok: true, job: JOB });
    const git = { ...JOB, git_repo: 'https://pagure.io/x', git_branch: 'main' };
    expect(parseJob(git)).toEqual({ ok: true, job: git });
    // A discovered check is a path in its repository.
    const path = { ...git, taskname: 'tests/smoke' };
    expect(parseJob(path)).toEqual({ ok: true, job: path });
    for (const git_commit of ['0123456789abcdef0123456789abcdef01234567', 'ab'.repeat(32)]) {
      const at = { ...path, git_commit };
      expect(parseJob(at)).toEqual({ ok: true, job: at });
    }
    expect(parseJob({ ...JOB, uuid: '20161017_101334_123456' }).ok).toBe(true);
  });

  it.each([
    [{ ...JOB, taskname: '../../etc' }, /^taskname: not a task name/],
    [{ ...JOB, taskname: '.hidden' }, /^taskname: /],
    [{ ...JOB, uuid: '../x' }, /^uuid: not a job uuid/],
    [{ ...JOB, uuid: 'a/b' }, /^uuid: /],
    [
      { ...JOB, arch: 'x86 64' },
      /^arch: not an arch \(letters, digits, _, at most 32: x86_64, noarch\)$/,
    ],
    [{ ...JOB, item_type: 'rpm' }, /^item_type: /],
    [{ ...JOB, item: '' }, /^item: /],
    [{ ...JOB, item: undefined }, /^item: /],
    // The job log cannot hold them (PostgreSQL failed each try on U+0000).
    [{ ...JOB, item: 'a\0-1-1' }, /^item: must not contain a NUL character \(U\+0000\)$/],
    [{ ...JOB, item: 'a\udfff-1-1' }, /^item: must not contain a lone surrogate/],
    [{ ...JOB, git_repo: 'ext::sh -c id' }, /^git_repo: .* not an http, https, git or file URL/],
    [{ ...JOB, git_repo: '--upload-pack=id' }, /^git_repo: .* starts with -/],
    [{ ...JOB, git_repo: 'https://h/r', git_branch: '-b' }, /^git_branch: .* starts with -/],
    [{ ...JOB, git_branch: 'main' }, /^git_branch: given without git_repo/],
    [{ ...JOB, git_commit: 'a'.repeat(40) }, /^git_commit: given without git_repo/],
    ...['HEAD', '-a', 'abc123', 'A'.repeat(40), 'a'.repeat(41), `${'a'.repeat(40)}\n`, 7].map(
      (git_commit) => [{ ...JOB, git_repo: 'https://h/r', git_commit }, /^git_commit: /] as const,
    ),
    [{ ...JOB, taskname: 'tests/smoke' }, /^taskname: not a task name/],
    [{ ...JOB, git_repo: 'https://h/r', taskname: 'tests/../..' }, /^taskname: not a check path/],
    [{ ...JOB, git_repo: 'https://h/r', taskname: '/etc' }, /^taskname: not a check path/],
    [null, /^the body: /],
    ['a string', /^the body: /],
  ])('refuses %j, naming the field', (body, message) => {
    const r = parseJob(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('lets an item hold anything printable: it never reaches a shell or a path', () => {
    const item = "$(rm -rf ~); `id` ../../etc/passwd {{ lookup('pipe','id') }}";
    expect(parseJob({ ...JOB, item })).toEqual({ ok: true, job: { ...JOB, item } });
  });
});

describe('parseJob on hostile bodies', () => {
  it('answers any JSON, or any value in any field, with the job or the field at fault', async () => {
    await tryAll(
      'taskotron.job bodies',
      fc.oneof(
        nastyJson,
        fc.record({
          item: fc.oneof(nastyString, nastyJson),
          item_type: fc.oneof(fc.constant('koji_build'), nastyString),
          taskname: fc.oneof(fc.constant('name-lint'), nastyString),
          arch: fc.oneof(fc.constant('noarch'), nastyString),
          uuid: fc.oneof(fc.uuid(), nastyString),
        }),
      ),
      (body) => {
        const r = parseJob(body);
        if (r.ok) {
          expect(r.job.taskname).toMatch(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/);
          expect(r.job.uuid).not.toMatch(/[/.]/);
        } else
          expect(r.message).toMatch(
            /^(the body|item|item_type|taskname|arch|uuid|git_repo|git_branch|git_commit): /,
          );
      },
    );
  });
});
