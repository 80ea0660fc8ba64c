import type { MasterRow, PasswordRow, SlaveRow } from './tables.js';

/*
 * The allocation decision of slavealloc's logic/allocate.py and data/queries.py, without I/O:
 * the allocator reads what it needs in a transaction and records what this decides.
 */

export type MasterFacts = Pick<
  MasterRow,
  'masterid' | 'nickname' | 'fqdn' | 'pb_port' | 'poolid' | 'enabled'
>;

type SlaveFacts = Pick<
  SlaveRow,
  'slaveid' | 'name' | 'enabled' | 'poolid' | 'distroid' | 'locked_masterid'
>;

export interface AllocationInputs {
  slave: SlaveFacts;
  /** The slave_passwords rows of the slave's pool. */
  passwords: readonly PasswordRow[];
  /** The master the slave is locked to, when it is. */
  locked: MasterFacts | null;
  /** The masters of the slave's pool, enabled or not. */
  poolMasters: readonly MasterFacts[];
  /** How many of the slave's peers (same pool and silo, not itself) each master has now. */
  peerCounts: ReadonlyMap<number, number>;
}

export type Decision =
  | { kind: 'disabled' }
  | { kind: 'allocated'; master: MasterFacts; password: string | null; locked: boolean }
  | { kind: 'no-master' };

/**
 * The slave's password: a row for its pool and distro before the pool's wildcard row (distro
 * NULL). The original took whichever row the database returned first; with several of one kind
 * the smallest wins here, so that the answer does not depend on the database.
 */
export function choosePassword(
  passwords: readonly PasswordRow[],
  slave: Pick<SlaveRow, 'poolid' | 'distroid'>,
): string | null {
  const smallest = (rows: PasswordRow[]) =>
    rows.map((r) => r.password).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
  const pool = passwords.filter((p) => p.poolid === slave.poolid);
  return (
    smallest(pool.filter((p) => p.distroid === slave.distroid)) ??
    smallest(pool.filter((p) => p.distroid === null)) ??
    null
  );
}

/** The enabled master with the fewest peers on it, the lowest id among equals. */
export function chooseMaster(
  poolMasters: readonly MasterFacts[],
  peerCounts: ReadonlyMap<number, number>,
): MasterFacts | null {
  let best: MasterFacts | null = null;
  let bestCount = Infinity;
  for (const m of poolMasters) {
    if (!m.enabled) continue;
    const count = peerCounts.get(m.masterid) ?? 0;
    if (count < bestCount || (count === bestCount && m.masterid < best!.masterid)) {
      best = m;
      bestCount = count;
    }
  }
  return best;
}

/**
 * A disabled slave gets no master (and loses the one it had); a locked one gets its master
 * whatever that master's state or pool, as in the original; the others the least loaded
 * enabled master of their pool.
 */
export function decide(inputs: AllocationInputs): Decision {
  const { slave } = inputs;
  if (!slave.enabled) return { kind: 'disabled' };
  const password = choosePassword(inputs.passwords, slave);
  if (slave.locked_masterid !== null) {
    return inputs.locked
      ? { kind: 'allocated', master: inputs.locked, password, locked: true }
      : { kind: 'no-master' };
  }
  const master = chooseMaster(inputs.poolMasters, inputs.peerCounts);
  return master ? { kind: 'allocated', master, password, locked: false } : { kind: 'no-master' };
}
