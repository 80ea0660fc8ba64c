import { describe, expect, it } from '@jest/globals';
import { classifyExit } from './exit-codes.js';

const verdict = (exitCode: number | null, output = '', timedOut = false) =>
  classifyExit({ exitCode, output, timedOut }).verdict;

describe('classifyExit', () => {
  it('0 is success', () => expect(verdict(0)).toBe('success'));

  it('fails at once when another try cannot help', () => {
    expect(verdict(1, 'ERROR! the playbook: x.yml could not be found')).toBe('permanent');
    // As ansible-core prints a role the playbook names that is not installed (exit 1).
    expect(
      verdict(1, "ERROR! the role 'nosuchrole' was not found in /p/roles:/etc/ansible/roles"),
    ).toBe('permanent');
    expect(verdict(1, "[ERROR]: the role 'nosuchrole' was not found in /p/roles")).toBe(
      'permanent',
    );
    // A task's own output saying so is no error of ansible-playbook's.
    expect(verdict(1, "fatal: the role 'x' was not found")).toBe('retryable');
    expect(
      verdict(1, "ERROR! Unable to retrieve file contents\nCould not find or access '/m.yml'"),
    ).toBe('permanent');
    expect(verdict(1, '[ERROR]: Unable to retrieve file contents')).toBe('permanent');
    expect(verdict(1, 'a task printed: Unable to retrieve file contents')).toBe('retryable');
    expect(verdict(4, 'ERROR! We were unable to read either as JSON nor YAML')).toBe('permanent');
    expect(verdict(4, "ERROR! couldn't resolve module/action 'nosuch'")).toBe('permanent');
    expect(verdict(5, 'ERROR! bad option')).toBe('permanent');
  });

  it('knows the error marker of ansible-core 2.19 and later', () => {
    expect(verdict(4, '[WARNING]: w\n[ERROR]: YAML parsing failed: x')).toBe('permanent');
    expect(verdict(1, '[ERROR]: the playbook: x.yml could not be found')).toBe('permanent');
    expect(verdict(4, 'a task printed [ERROR]: mid-line')).toBe('retryable');
  });

  it('knows the error marker in colour (ANSIBLE_FORCE_COLOR, force_color in ansible.cfg)', () => {
    // As ansible-core 2.14 prints it with colour forced, its output not a terminal.
    const red = (line: string) => `\x1b[0;31m${line}\x1b[0m`;
    const warning = '\x1b[1;35m[WARNING]: No inventory was parsed\x1b[0m';
    expect(
      verdict(4, `${warning}\n${red('ERROR! We were unable to read either as JSON nor YAML')}`),
    ).toBe('permanent');
    expect(verdict(4, `${warning}\n${red('[ERROR]: YAML parsing failed: x')}`)).toBe('permanent');
    expect(verdict(4, red('a task printed [ERROR]: mid-line'))).toBe('retryable');
  });

  it('retries what may get better', () => {
    expect(verdict(1, 'ERROR! something else')).toBe('retryable');
    expect(verdict(2, 'fatal: [localhost]: FAILED!')).toBe('retryable');
    expect(verdict(4, 'fatal: [h]: UNREACHABLE! => {}')).toBe('retryable');
    expect(verdict(4, 'ERROR! x\nfatal: [h]: UNREACHABLE!')).toBe('retryable');
    expect(verdict(4, 'no marker at all')).toBe('retryable');
    for (const code of [3, 99, 250, 137, null]) expect(verdict(code)).toBe('retryable');
  });

  it('fails at once when ansible-playbook could not parse its command line (exit 2)', () => {
    const usageError = 'ansible-playbook: error: unrecognized arguments: --bogus';
    expect(classifyExit({ exitCode: 2, output: '  -h, --help', usageError })).toEqual({
      verdict: 'permanent',
      reason: `bad options: ${usageError}`,
    });
    // Only exit code 2 is argparse's: another code keeps its meaning.
    expect(
      classifyExit({ exitCode: 4, output: 'fatal: [h]: UNREACHABLE!', usageError }).verdict,
    ).toBe('retryable');
    expect(classifyExit({ exitCode: 2, output: '', usageError: null }).verdict).toBe('retryable');
  });

  it('names the signal that killed a run', () => {
    expect(classifyExit({ exitCode: null, signal: 'SIGKILL', output: '' })).toEqual({
      verdict: 'retryable',
      reason: 'killed by SIGKILL',
    });
  });

  it('a run killed at its timeout is retried, and says so', () => {
    const c = classifyExit({ exitCode: null, output: 'ERROR! could not be found', timedOut: true });
    expect(c.verdict).toBe('retryable');
    expect(c.reason).toMatch(/timeout/);
  });
});
