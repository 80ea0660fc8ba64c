import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DAEMON_NODE_FLAGS } from '@loopabull/cli';
import {
  SYSTEMD,
  removeTempDirs,
  serviceSection,
  tempDir,
  testConfig,
  unitValue as value,
} from './support/index.js';

const UNITS = ['loopabull.service', 'loopabull-web.service', 'loopabull@.service'];

/** systemd turns NoNewPrivileges on for a User= service with any of these; sudo then fails. */
const IMPLY_NO_NEW_PRIVILEGES = [
  'SystemCallFilter',
  'SystemCallArchitectures',
  'SystemCallLog',
  'RestrictAddressFamilies',
  'RestrictNamespaces',
  'PrivateDevices',
  'ProtectKernelTunables',
  'ProtectKernelModules',
  'ProtectKernelLogs',
  'ProtectClock',
  'ProtectHostname',
  'MemoryDenyWriteExecute',
  'RestrictRealtime',
  'RestrictSUIDSGID',
  'LockPersonality',
  'DynamicUser',
];

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const withSystemdAnalyze = hasSystemdAnalyze ? it : it.skip;

/** The units as installed, with ExecStart pointing at a stand-in: verify checks it exists. */
function installedCopies(): string {
  const dir = tempDir('units');
  const bin = join(dir, 'loopabull');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  for (const file of UNITS) {
    const text = readFileSync(join(SYSTEMD, file), 'utf8').replaceAll('/usr/bin/loopabull', bin);
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(join(dir, 'loopabull@1.service'), readFileSync(join(dir, 'loopabull@.service')));
  return dir;
}

afterAll(() => removeTempDirs());

describe.each(['loopabull.service', 'loopabull@.service'])(
  '%s: starts node with the flags the looper and workers need',
  (file) => {
    it('ExecStart is node with DAEMON_NODE_FLAGS, then the loopabull command', () => {
      const argv = value(serviceSection(file), 'ExecStart')!.split(' ');
      expect(argv.slice(0, 2 + DAEMON_NODE_FLAGS.length)).toEqual([
        '/usr/bin/node',
        ...DAEMON_NODE_FLAGS,
        '/usr/bin/loopabull',
      ]);
    });
  },
);

describe.each(['loopabull.service', 'loopabull-web.service'])(
  '%s: needs no privilege at all',
  (file) => {
    const unit = serviceSection(file);

    it.each([
      ['NoNewPrivileges', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectKernelModules', 'yes'],
      ['ProtectKernelLogs', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
      ['RestrictNamespaces', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['SystemCallArchitectures', 'native'],
      // V8's JIT needs writable, executable memory: "yes" would kill Node at start.
      ['MemoryDenyWriteExecute', 'no'],
    ])('%s=%s', (key, expected) => {
      expect(value(unit, key)).toBe(expected);
    });

    it('is bounded in memory and tasks', () => {
      expect(value(unit, 'MemoryMax')).toMatch(/^\d+[KMG]$/);
      expect(Number(value(unit, 'TasksMax'))).toBeGreaterThan(0);
    });
  },
);

describe('loopabull@.service: hardened as far as sudo for `become` allows', () => {
  const unit = serviceSection('loopabull@.service');

  it('keeps NoNewPrivileges off, and nothing that would turn it back on', () => {
    expect(value(unit, 'NoNewPrivileges')).toBe('no');
    for (const key of IMPLY_NO_NEW_PRIVILEGES) expect([key, unit.has(key)]).toEqual([key, false]);
  });

  it('leaves sudo the capabilities it needs, and root none of the kernel-level ones', () => {
    const bounding = value(unit, 'CapabilityBoundingSet')!;
    expect(bounding.startsWith('~')).toBe(true);
    const dropped = bounding.slice(1).split(/\s+/);
    for (const kept of ['CAP_SETUID', 'CAP_SETGID', 'CAP_AUDIT_WRITE'])
      expect(dropped).not.toContain(kept);
    for (const gone of ['CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_ADMIN', 'CAP_SYS_TIME'])
      expect(dropped).toContain(gone);
  });

  it('protects what needs no privilege to protect, and is bounded', () => {
    expect(value(unit, 'PrivateTmp')).toBe('yes');
    expect(value(unit, 'ProtectSystem')).toBe('full');
    expect(value(unit, 'ProtectControlGroups')).toBe('yes');
    expect(value(unit, 'DevicePolicy')).toBe('closed');
    expect(value(unit, 'MemoryMax')).toMatch(/^\d+[KMG]$/);
    expect(Number(value(unit, 'TasksMax'))).toBeGreaterThan(0);
  });

  it('kills what a worker leaves in its unit, after giving running playbooks their grace', () => {
    // The spec's KillMode: orphaned playbooks of a crashed worker die with it.
    expect(value(unit, 'KillMode')).toBe('control-group');
    // The worker alone is sent SIGTERM first, and waited for, before the unit is.
    expect(value(unit, 'ExecStop')).toMatch(
      /kill -TERM "\$\$MAINPID".*while kill -0 "\$\$MAINPID"/,
    );
    const grace = testConfig().workers.shutdown_grace;
    expect(Number(value(unit, 'TimeoutStopSec'))).toBeGreaterThan(grace);
  });
});

describe('systemd-analyze', () => {
  withSystemdAnalyze('verifies every unit without a complaint', () => {
    const dir = installedCopies();
    const files = ['loopabull.service', 'loopabull-web.service', 'loopabull@1.service'];
    const run = spawnSync('systemd-analyze', ['verify', ...files], { cwd: dir, encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: '',
    });
  });

  withSystemdAnalyze('rates the looper and the web server as exposed little', () => {
    const dir = installedCopies();
    for (const file of ['loopabull.service', 'loopabull-web.service']) {
      const report = execFileSync(
        'systemd-analyze',
        ['security', '--offline=yes', join(dir, file)],
        { encoding: 'utf8' },
      );
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(report)![1]);
      expect({ [file]: exposure <= 2 }).toEqual({ [file]: true });
    }
  });
});
