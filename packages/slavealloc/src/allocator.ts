import { decide, type MasterFacts } from './allocate.js';
import {
  fromDbBool,
  fromDbCount,
  lockPool,
  retryingDeadlocks,
  transaction,
  type SaExecutor,
  type SlaveallocDb,
} from './db.js';
import { isStorableName } from './limits.js';
import { makeTac, type TacOrigin } from './tac.js';

export interface AllocationOptions {
  /** Record the master as the slave's current one (`/gettac`), or only answer (`/api/gettac`). */
  record: boolean;
  origin: TacOrigin;
  idleizerExclude: readonly string[];
}

export type Allocation =
  | { kind: 'unknown'; name: string }
  | { kind: 'no-master'; name: string; slaveid: number }
  | {
      kind: 'allocated' | 'disabled';
      name: string;
      slaveid: number;
      /** null for a disabled slave. */
      master: MasterFacts | null;
      /** Its current master before this allocation. */
      previousMasterid: number | null;
      locked: boolean;
      tac: string;
    };

const toMaster = (row: {
  masterid: number;
  nickname: string;
  fqdn: string;
  pb_port: number;
  poolid: number;
  enabled: unknown;
}): MasterFacts => ({
  masterid: row.masterid,
  nickname: row.nickname,
  fqdn: row.fqdn,
  pb_port: row.pb_port,
  poolid: row.poolid,
  enabled: fromDbBool(row.enabled),
});

async function allocateIn(
  trx: SaExecutor,
  db: SlaveallocDb,
  name: string,
  opts: AllocationOptions,
): Promise<Allocation> {
  if (!isStorableName(name)) return { kind: 'unknown', name };
  const row = await trx
    .selectFrom('slaves')
    .leftJoin('tac_templates', 'tac_templates.tplid', 'slaves.custom_tplid')
    .selectAll('slaves')
    .select('tac_templates.template')
    .where('slaves.name', '=', name)
    .executeTakeFirst();
  if (!row) return { kind: 'unknown', name };
  if (opts.record) await lockPool(trx, db, row.poolid);
  const slave = { ...row, enabled: fromDbBool(row.enabled) };

  const passwords = await trx
    .selectFrom('slave_passwords')
    .selectAll()
    .where('poolid', '=', slave.poolid)
    .execute();
  const masters = (
    await trx
      .selectFrom('masters')
      .selectAll()
      .where((eb) =>
        slave.locked_masterid === null
          ? eb('poolid', '=', slave.poolid)
          : eb('masterid', '=', slave.locked_masterid),
      )
      .execute()
  ).map(toMaster);
  const counts =
    slave.enabled && slave.locked_masterid === null
      ? await trx
          .selectFrom('slaves')
          .select(['current_masterid', (eb) => eb.fn.countAll().as('n')])
          .where('poolid', '=', slave.poolid)
          .where('distroid', '=', slave.distroid)
          .where('bitsid', '=', slave.bitsid)
          .where('purposeid', '=', slave.purposeid)
          .where('dcid', '=', slave.dcid)
          .where('trustid', '=', slave.trustid)
          .where('envid', '=', slave.envid)
          .where('slaveid', '!=', slave.slaveid)
          .where('current_masterid', 'is not', null)
          .groupBy('current_masterid')
          .execute()
      : [];
  const decision = decide({
    slave,
    passwords,
    locked: slave.locked_masterid === null ? null : (masters[0] ?? null),
    poolMasters: slave.locked_masterid === null ? masters : [],
    peerCounts: new Map(counts.map((c) => [c.current_masterid!, fromDbCount(c.n)])),
  });
  if (decision.kind === 'no-master') return { kind: 'no-master', name, slaveid: slave.slaveid };

  const master = decision.kind === 'allocated' ? decision.master : null;
  const tac = makeTac(
    master && decision.kind === 'allocated'
      ? {
          enabled: true,
          slavename: slave.name,
          basedir: slave.basedir,
          password: decision.password,
          masterFqdn: master.fqdn,
          masterPort: master.pb_port,
          template: slave.template,
        }
      : { enabled: false },
    opts.origin,
    opts.idleizerExclude,
  );
  if (opts.record)
    await trx
      .updateTable('slaves')
      .set({ current_masterid: master?.masterid ?? null })
      .where('slaveid', '=', slave.slaveid)
      .execute();
  return {
    kind: decision.kind,
    name,
    slaveid: slave.slaveid,
    master,
    previousMasterid: slave.current_masterid,
    locked: decision.kind === 'allocated' && decision.locked,
    tac,
  };
}

/**
 * slavealloc's Allocation: the slave named exactly `name` (none for a name no row can have,
 * such as one with NUL), its master and its tac. Recording happens in one transaction with the
 * reads it depends on; a tac template that does not format fails it, and nothing is recorded.
 */
export function allocate(
  db: SlaveallocDb,
  name: string,
  opts: AllocationOptions,
): Promise<Allocation> {
  if (!opts.record) return allocateIn(db.k, db, name, opts);
  return retryingDeadlocks(() => transaction(db, (trx) => allocateIn(trx, db, name, opts)));
}
