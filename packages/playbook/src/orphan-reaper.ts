import { spawn, type ChildProcess } from 'node:child_process';

/**
 * What the reaper runs: it keeps the list of live process groups its worker writes to it
 * (`+<pgid>` when a run starts, `-<pgid>` once it is over) and, when the pipe closes because the
 * worker is gone, however it went, gives each group left SIGTERM, then SIGKILL after the grace
 * given as its first argument, in tenths of a second. Only numbers ever reach it.
 */
const REAPER_SCRIPT = `
groups=
while read -r word; do
  case $word in
    +*) groups="$groups \${word#+}" ;;
    -*) kept=; for g in $groups; do [ "$g" = "\${word#-}" ] || kept="$kept $g"; done; groups=$kept ;;
  esac
done
[ -n "$groups" ] || exit 0
for g in $groups; do kill -TERM -$g 2>/dev/null; done
i=0
while [ $i -lt "$1" ]; do
  alive=; for g in $groups; do kill -0 -$g 2>/dev/null && alive="$alive $g"; done
  [ -n "$alive" ] || exit 0
  groups=$alive; sleep 0.1; i=$((i + 1))
done
for g in $groups; do kill -KILL -$g 2>/dev/null; done
`;

let reaper: ChildProcess | null = null;

function startReaper(graceMs: number): ChildProcess | null {
  // In a session of its own, so that a Ctrl-C to the worker's terminal leaves it to see the
  // worker's end; not waited for, so that it never keeps the worker alive.
  const child = spawn(
    '/bin/sh',
    ['-c', REAPER_SCRIPT, 'loopabull-reaper', String(Math.ceil(graceMs / 100))],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  child.unref();
  const { stdin } = child;
  if (!stdin) return null;
  (stdin as unknown as { unref?: () => void }).unref?.();
  const gone = () => {
    if (reaper === child) reaper = null;
  };
  // A reaper that could not start or died takes nothing with it: the runs go on, unguarded.
  child.on('error', gone);
  child.on('exit', gone);
  stdin.on('error', gone);
  return child;
}

function tell(word: string, graceMs: number): void {
  reaper ??= startReaper(graceMs);
  reaper?.stdin?.write(`${word}\n`);
}

/**
 * Puts a run's process group in the care of the reaper: if the worker is killed outright
 * (SIGKILL, the OOM killer) while the run is under way, the reaper stops the group, as systemd's
 * control-group kill does, instead of leaving the playbook running beside the retry of its job.
 * `graceMs` is the time between its SIGTERM and SIGKILL. Call the result once the group is gone.
 */
export function guardGroup(pgid: number, graceMs: number): () => void {
  tell(`+${pgid}`, graceMs);
  return () => tell(`-${pgid}`, graceMs);
}
