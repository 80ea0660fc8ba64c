import { describe, expect, it } from '@jest/globals';
import { makeTac, wantsIdleizer, type EnabledTacInput } from './tac.js';
import { TemplateError } from './python.js';
import { IDLEIZER, handWrittenTac } from '../test/expected-tac.js';

const BODY = handWrittenTac({
  buildmaster_host: "'buildbot-master01.build.example.com'",
  passwd: `'pass\\'word"'`,
  basedir: "'e:\\\\builds\\\\moz2_slave'",
  slavename: "'w64-ix-slave01'",
  port: '9001',
});

const origin = { date: new Date(2011, 1, 8, 10, 11, 12), host: 'slavealloc.example.com' };
const EXCLUDE = ['panda-', 'tegra'];

const HEADER = `# AUTOMATICALLY GENERATED - DO NOT MODIFY
# generated: Tue Feb  8 10:11:12 2011 on slavealloc.example.com

`;

const slave: EnabledTacInput = {
  enabled: true,
  slavename: 'w64-ix-slave01',
  basedir: 'e:\\builds\\moz2_slave',
  // Both kinds of quote: repr keeps single quotes and escapes the one inside.
  password: 'pass\'word"',
  masterFqdn: 'buildbot-master01.build.example.com',
  masterPort: 9001,
  template: null,
};

describe('makeTac', () => {
  it('the default template with the idleizer block, byte for byte', () => {
    expect(makeTac(slave, origin, EXCLUDE)).toBe(HEADER + BODY + IDLEIZER);
  });

  it('no idleizer for excluded names (substrings), nor in a custom template', () => {
    const panda = makeTac({ ...slave, slavename: 'panda-0123' }, origin, EXCLUDE);
    expect(panda).toBe(HEADER + BODY.replace("'w64-ix-slave01'", "'panda-0123'"));
    expect(wantsIdleizer('foo-tegra-1', EXCLUDE)).toBe(false);
    expect(wantsIdleizer('linux-ix-slave01', EXCLUDE)).toBe(true);
    expect(wantsIdleizer('panda-1', [])).toBe(true);
  });

  it('a custom template with %s, %r, %d and %%, after the header', () => {
    const template = 'host=%(buildmaster_host)s port=%(port)d pw=%(passwd)r 100%%\n';
    expect(makeTac({ ...slave, password: null, template }, origin, EXCLUDE)).toBe(
      `${HEADER}host=buildbot-master01.build.example.com port=9001 pw=None 100%\n`,
    );
  });

  it('an empty custom template means the default one', () => {
    const tac = makeTac({ ...slave, template: '', password: 'x' }, origin, EXCLUDE);
    expect(tac).toContain('from twisted.application import service');
  });

  it('the disabled tac: header and exit', () => {
    expect(makeTac({ enabled: false }, origin, EXCLUDE)).toBe(
      `${HEADER}print "SLAVE DISABLED; NOT STARTING"\n\nimport sys\nsys.exit(0)\n`,
    );
  });

  it('a custom template that does not format is a TemplateError', () => {
    expect(() => makeTac({ ...slave, template: 'rate: 50%\n' }, origin, EXCLUDE)).toThrow(
      TemplateError,
    );
  });
});
