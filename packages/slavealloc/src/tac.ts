import { ctime, pyFormat, type PyValue } from './python.js';

/*
 * buildbot.tac as slavealloc's logic/buildbottac.py wrote it: the same header, templates and
 * block rule, formatted with Python's `%`, so slaves get the same bytes (but for the date and
 * host line).
 */

const TAC_HEADER =
  '# AUTOMATICALLY GENERATED - DO NOT MODIFY\n# generated: %(gendate)s on %(genhost)s\n\n';

/** runslave.py keeps its old tac unless the page it downloaded contains this. */
export const TAC_VALIDITY_MARKER = 'AUTOMATICALLY GENERATED - DO NOT MODIFY';

const DISABLED_TEMPLATE = `print "SLAVE DISABLED; NOT STARTING"

import sys
sys.exit(0)
`;

const DEFAULT_TEMPLATE = `from twisted.application import service
from buildslave.bot import BuildSlave

import twisted.spread.pb
twisted.spread.pb.MAX_BROKER_REFS = 4096

maxdelay = 300
buildmaster_host = %(buildmaster_host)r
passwd = %(passwd)r
maxRotatedFiles = 10
basedir = %(basedir)r
umask = 002
slavename = %(slavename)r
usepty = False
rotateLength = 1000000
port = %(port)r
keepalive = None

application = service.Application('buildslave')
try:
    from twisted.python.logfile import LogFile
    from twisted.python.log import ILogObserver, FileLogObserver
    logfile = LogFile.fromFullPath("twistd.log", rotateLength=rotateLength,
                             maxRotatedFiles=maxRotatedFiles)
    application.setComponent(ILogObserver, FileLogObserver(logfile).emit)
except ImportError:
    pass
s = BuildSlave(buildmaster_host, port, slavename, passwd, basedir,
               keepalive, usepty, umask=umask, maxdelay=maxdelay, allow_shutdown="file")
s.setServiceParent(application)
`;

const IDLEIZER_TEMPLATE = `# enable idleizer
from buildslave import idleizer
idlz = idleizer.Idleizer(s,
        # 7 hours' idle time before a reboot
        max_idle_time=3600*7,
        # 1 hour disconnected from a master before a reboot
        max_disconnected_time=3600*1)
idlz.setServiceParent(application)
`;

/** Where and when the tac was made: the header's line. */
export interface TacOrigin {
  date: Date;
  host: string;
}

export interface EnabledTacInput {
  enabled: true;
  slavename: string;
  basedir: string;
  password: string | null;
  masterFqdn: string;
  masterPort: number;
  /** The slave's custom template; null or empty means the default one. */
  template: string | null;
}

export type TacInput = EnabledTacInput | { enabled: false };

/** Whether a slave gets the idle-reboot block: no part of its name is excluded (substrings, as the original). */
export const wantsIdleizer = (slavename: string, exclude: readonly string[]): boolean =>
  !exclude.some((part) => slavename.includes(part));

/**
 * The tac for an allocation. A disabled slave gets a tac that exits at once; an enabled one its
 * custom template or the default one (with the idleizer unless excluded). Throws a
 * TemplateError when a custom template does not format.
 */
export function makeTac(input: TacInput, origin: TacOrigin, idleizerExclude: readonly string[]) {
  const info: Record<string, PyValue> = { gendate: ctime(origin.date), genhost: origin.host };
  if (!input.enabled) return pyFormat(TAC_HEADER + DISABLED_TEMPLATE, info);
  Object.assign(info, {
    buildmaster_host: input.masterFqdn,
    port: input.masterPort,
    slavename: input.slavename,
    basedir: input.basedir,
    passwd: input.password,
  });
  let template = TAC_HEADER;
  if (input.template) template += input.template;
  else {
    template += DEFAULT_TEMPLATE;
    if (wantsIdleizer(input.slavename, idleizerExclude)) template += IDLEIZER_TEMPLATE;
  }
  return pyFormat(template, info);
}
