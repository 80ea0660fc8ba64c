import { readdirSync, readFileSync } from 'node:fs';

/** The parent of every process now running, read from /proc (no CONFIG_PROC_CHILDREN needed). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields resume after the last ')'.
      const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), Number(ppid));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** `pid` and every process below it, parents before children. */
export function processTree(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) {
    const siblings = byParent.get(parent) ?? [];
    siblings.push(child);
    byParent.set(parent, siblings);
  }
  const tree: number[] = [];
  const next = [pid];
  while (next.length > 0) {
    const p = next.shift()!;
    tree.push(p);
    next.push(...(byParent.get(p) ?? []));
  }
  return tree;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
};

/**
 * SIGKILLs `pid` and all its descendants, whatever process group or session they moved to, as
 * systemd kills a unit's control group. The tree is stopped first, walking it again until no new
 * process appears, so nothing forks away between reading it and killing it. Returns the pids killed.
 */
export function killTree(pid: number): number[] {
  const stopped = new Set<number>();
  for (;;) {
    const fresh = processTree(pid).filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, 'SIGSTOP');
      stopped.add(p);
    }
  }
  for (const p of stopped) signal(p, 'SIGKILL');
  return [...stopped];
}
