import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, testConfig } from '@test/support';
import { playbookEnv } from './playbook-runner.js';

/** What a worker's environment holds that playbooks get with the list below... */
const PASSED = {
  PATH: '/usr/bin:/bin',
  HOME: '/var/lib/loopabull',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  LC_TIME: 'en_GB.UTF-8',
  TZ: 'UTC',
  USER: 'loopabull',
  LOGNAME: 'loopabull',
  SSH_AUTH_SOCK: '/run/ssh-agent.sock',
  ANSIBLE_CONFIG: '/etc/ansible/loopabull.cfg',
  TMPDIR: '/var/tmp/loopabull',
};
/** ...and what they do not. */
const NARROW = [
  'PATH',
  'HOME',
  'LANG',
  'LC_*',
  'TZ',
  'USER',
  'LOGNAME',
  'ANSIBLE_*',
  'SSH_AUTH_SOCK',
  'TMPDIR',
];
const WITHHELD = {
  REDIS_URL: 'redis://:hunter2@redis',
  AMQP_URL: 'amqps://lb:hunter2@rabbit',
  LOOPABULL_CONFIG: '/etc/loopabull/loopabull.yml',
  CONFIG_FILE: '/etc/loopabull/loopabull.yml',
  AWS_SECRET_ACCESS_KEY: 'hunter2',
  LOOPABULL_TOKEN: 'hunter2',
  PATHOLOGICAL: 'a name that only starts like PATH',
  LC_: undefined,
};
const WORKER_ENV = { ...PASSED, ...WITHHELD };

const defaults = testConfig().ansible.env_passthrough;
afterAll(() => removeTempDirs());

describe('playbookEnv', () => {
  it("passes the worker's whole environment by default, less REDIS_URL, AMQP_URL and LOOPABULL_TOKEN", () => {
    const env = playbookEnv(WORKER_ENV, defaults, { LOOPABULL_TOPIC: 't' });
    const expected: Record<string, string> = { LOOPABULL_TOPIC: 't' };
    for (const [name, value] of Object.entries(WORKER_ENV))
      if (value !== undefined && !['REDIS_URL', 'AMQP_URL', 'LOOPABULL_TOKEN'].includes(name))
        expected[name] = value;
    expect(env).toEqual(expected);
    expect(env).toHaveProperty('AWS_SECRET_ACCESS_KEY');
  });

  it("passes only what a list names, and the job's variables", () => {
    const env = playbookEnv(WORKER_ENV, NARROW, { LOOPABULL_TOPIC: 't', LOOPABULL_JOB_ID: '1' });
    expect(env).toEqual({ ...PASSED, LOOPABULL_TOPIC: 't', LOOPABULL_JOB_ID: '1' });
  });

  it('never passes REDIS_URL, AMQP_URL or LOOPABULL_TOKEN, even when the list names them or says *', () => {
    const secrets = ['REDIS_URL', 'AMQP_URL', 'LOOPABULL_TOKEN'];
    for (const list of [secrets, ['*'], ['REDIS*', 'AMQP*', 'LOOPABULL_*']]) {
      const env = playbookEnv(WORKER_ENV, list, {});
      for (const name of secrets) expect(env).not.toHaveProperty(name);
    }
    expect(playbookEnv(WORKER_ENV, ['*'], {})).toHaveProperty('AWS_SECRET_ACCESS_KEY');
  });

  it("lets the job's variables win over the worker's", () => {
    const env = playbookEnv({ LOOPABULL_TOPIC: 'stale' }, ['LOOPABULL_*'], {
      LOOPABULL_TOPIC: 'x',
    });
    expect(env).toEqual({ LOOPABULL_TOPIC: 'x' });
  });
});
