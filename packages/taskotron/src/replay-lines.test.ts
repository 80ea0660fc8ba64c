import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@loopabull/core';
import { messageLine, parseWhen, replayRange, replaySummary, unfinished } from './replay-lines.js';
import type { LoggedJob } from './job-log.js';
import type { TriggerResult } from './trigger.js';

const now = new Date('2026-11-30T12:00:00.000Z');

describe('parseWhen', () => {
  it('reads ISO 8601 times and durations before now', () => {
    expect(parseWhen('2026-11-29T10:00:00Z', now, '--since')).toBe('2026-11-29T10:00:00.000Z');
    expect(parseWhen('90m', now, '--since')).toBe('2026-11-30T10:30:00.000Z');
    expect(parseWhen('2d', now, '--since')).toBe('2026-11-28T12:00:00.000Z');
  });

  it('refuses anything else, naming the option', () => {
    expect(() => parseWhen('2026-13-45', now, '--until')).toThrow(ConfigError);
    expect(() => parseWhen('tuesday', now, '--until')).toThrow(/^--until "tuesday": /);
    // Further back than a Date goes: an exit 2 naming it, not "Invalid time value".
    expect(() => parseWhen('99999999999999999999w', now, '--since')).toThrow(
      new ConfigError('--since "99999999999999999999w": too long ago to be a time'),
    );
  });
});

describe('replayRange', () => {
  it('reads --since and --until, until now by default', () => {
    expect(replayRange({ since: '3h', until: '2h' }, now)).toEqual({
      since: '2026-11-30T09:00:00.000Z',
      until: '2026-11-30T10:00:00.000Z',
    });
    expect(replayRange({ since: '2d' }, now)).toEqual({
      since: '2026-11-28T12:00:00.000Z',
      until: '2026-11-30T12:00:00.000Z',
    });
    // --until is excluded: a range ending after now loses nothing.
    expect(replayRange({ since: '1h', until: '2026-12-01T00:00Z' }, now).until).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });

  it('refuses a range with no time in it as a usage error naming both ends', () => {
    expect(() => replayRange({ since: '2h', until: '3h' }, now)).toThrow(
      new ConfigError(
        '--until "3h" (2026-11-30T09:00:00.000Z) is not after --since "2h" (2026-11-30T10:00:00.000Z): the range holds no time',
      ),
    );
    expect(() => replayRange({ since: '2h', until: '2h' }, now)).toThrow(/is not after --since/);
    expect(() => replayRange({ since: '2026-12-01T00:00Z' }, now)).toThrow(
      new ConfigError(
        '--since "2026-12-01T00:00Z" (2026-12-01T00:00:00.000Z) is not before now (2026-11-30T12:00:00.000Z): no job is logged from then yet',
      ),
    );
    // Not before now, whatever --until says.
    expect(() =>
      replayRange({ since: '2026-11-30T12:00Z', until: '2099-01-01T00:00Z' }, now),
    ).toThrow(/^--since "2026-11-30T12:00Z" \(2026-11-30T12:00:00\.000Z\) is not before now/);
  });
});

describe('what replay prints', () => {
  const result: TriggerResult = {
    message_type: 'KojiBuildPackageCompleted',
    item: 'a-1-1.fc41',
    scheduled: [
      { item: 'a-1-1.fc41', item_type: 'koji_build', taskname: 't', arch: 'noarch', uuid: 'u1' },
    ],
    duplicates: [{ taskname: 'd', arch: 'x86_64' }],
    matched: ['r'],
    disabled: [],
    errors: [{ rule: 'bad', error: 'no such var' }],
    dropped: [{ rule: 'r', arch: 's390x', reason: 'arch s390x is not in taskotron.valid_arches' }],
    discovered: [],
    discover_failed: [
      {
        rule: 'dg',
        repo: 'https://h/rpms/a',
        branch: 'f41',
        reason: 'git clone https://h/rpms/a: x',
      },
    ],
  };

  it('says per message what was scheduled, what was a duplicate, which rules failed, which arches were dropped and which repositories could not be looked into', () => {
    expect(messageLine('m1', 'topic', result, false).what).toBe(
      'message m1 (topic): KojiBuildPackageCompleted a-1-1.fc41; scheduled t/noarch as u1; ' +
        'd/x86_64 already scheduled within the window; rule bad: no such var; ' +
        'rule r: not scheduled: arch s390x is not in taskotron.valid_arches; ' +
        'rule dg: no checks discovered in https://h/rpms/a (f41): git clone https://h/rpms/a: x',
    );
    const discovered = {
      ...result,
      scheduled: [
        { ...result.scheduled[0]!, taskname: 'tests', git_repo: 'https://h/r', git_branch: 'f41' },
      ],
    };
    expect(messageLine('m1', 'topic', discovered, false).what).toContain(
      'scheduled tests/noarch from https://h/r f41 as u1;',
    );
    expect(messageLine('m1', 'topic', result, true).what).toContain('would schedule t/noarch;');
  });

  it('counts in the closing line, and says how to schedule duplicates', () => {
    const lines = [
      messageLine('m1', 'topic', result, false),
      messageLine(
        'm2',
        'topic',
        { ...result, skipped: 'scratch build', scheduled: [], duplicates: [] },
        false,
      ),
    ];
    expect(replaySummary(lines, 'message', false)).toBe(
      '2 messages: 1 job scheduled, 1 duplicate within the window (--force schedules them), 1 skipped',
    );
    expect(replaySummary([], 'logged job', true)).toBe(
      'dry run: 0 logged jobs: 0 jobs would be scheduled, 0 duplicates within the window; nothing was scheduled',
    );
  });
});

describe('--unfinished', () => {
  const logged = (end: Partial<LoggedJob>): LoggedJob => ({
    uuid: 'u',
    item: 'a-1-1.fc41',
    item_type: 'koji_build',
    taskname: 't',
    arch: 'noarch',
    trigger: { topic: 't', msg_id: null, rules: [] },
    scheduled_at: '2026-11-30T10:00:00.000Z',
    started_at: '2026-11-30T10:00:01.000Z',
    finished_at: null,
    execution_status: null,
    status: null,
    parked_at: null,
    ...end,
  });
  const ended = { finished_at: '2026-11-30T10:00:02.000Z', execution_status: 'NOT_OK' as const };

  it('takes the jobs never ended and those the queue parked, not a check that ended NOT_OK', () => {
    expect(unfinished(logged({ started_at: null }))).toBe(true);
    expect(unfinished(logged({}))).toBe(true);
    expect(unfinished(logged({ ...ended, parked_at: ended.finished_at }))).toBe(true);
    expect(unfinished(logged({ ...ended, status: 'the playbook exited with 2' }))).toBe(false);
  });
});
