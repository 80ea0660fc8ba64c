/**
 * buildbot.tac's default template and idleizer block, written out by hand from slavealloc's
 * buildbottac.py (originals.md D.4), not from our templates, so that a change to either shows in
 * the tests that compare with them. The values are given as Python reprs, as they appear.
 */
export interface TacValues {
  buildmaster_host: string;
  passwd: string;
  basedir: string;
  slavename: string;
  port: string;
}

export const handWrittenTac = (v: TacValues): string => `from twisted.application import service
from buildslave.bot import BuildSlave

import twisted.spread.pb
twisted.spread.pb.MAX_BROKER_REFS = 4096

maxdelay = 300
buildmaster_host = ${v.buildmaster_host}
passwd = ${v.passwd}
maxRotatedFiles = 10
basedir = ${v.basedir}
umask = 002
slavename = ${v.slavename}
usepty = False
rotateLength = 1000000
port = ${v.port}
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

export const IDLEIZER = `# enable idleizer
from buildslave import idleizer
idlz = idleizer.Idleizer(s,
        # 7 hours' idle time before a reboot
        max_idle_time=3600*7,
        # 1 hour disconnected from a master before a reboot
        max_disconnected_time=3600*1)
idlz.setServiceParent(application)
`;
